"""Alembic migrations of the platform tables (events, outbox, inbox)."""
