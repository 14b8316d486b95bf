"""Alembic migrations of the personal-data key store (its own database, own version table)."""
