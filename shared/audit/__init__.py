"""Auditors' tools: verify, replay, as-of, explain and export, from the event logs alone."""
