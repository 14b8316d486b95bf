"""Runway's common library: event store, outbox relay, consumer runtime, service skeleton."""
