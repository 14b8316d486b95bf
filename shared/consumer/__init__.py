"""Idempotent Kafka consumers: inbox in the handler's transaction, offsets after commit, DLQ."""

from .batch import Handler
from .runtime import ALL_TYPES, ConsumerRuntime, ConsumerStats

__all__ = ["ALL_TYPES", "ConsumerRuntime", "ConsumerStats", "Handler"]
