"""Transactional outbox relay: database → Kafka, marked sent only after the broker acks."""

from .relay import OutboxRelay, RelayStats

__all__ = ["OutboxRelay", "RelayStats"]
