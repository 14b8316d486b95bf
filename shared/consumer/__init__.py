"""Idempotent Kafka consumers: inbox in the handler's transaction, offsets after commit, DLQ."""

from .runtime import ALL_TYPES, ConsumerRuntime, ConsumerStats, Handler

__all__ = [
    "ALL_TYPES","ConsumerRuntime", "ConsumerStats", "Handler"]
