"""Runway services: one process, one database, one legal phase each."""
