"""Operational commands: create topics, migrate databases."""
