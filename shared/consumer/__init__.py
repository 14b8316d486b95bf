"""Idempotent Kafka consumers: inbox in the handler's transaction, offsets after commit, DLQ."""

from .batch import Handler, HandlerFailed
from .runtime import ALL_TYPES, ConsumerRuntime, ConsumerStats, Replayed

__all__ = ["ALL_TYPES", "ConsumerRuntime", "ConsumerStats", "Handler", "HandlerFailed",
           "Replayed"]
