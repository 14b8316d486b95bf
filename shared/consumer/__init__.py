"""Idempotent Kafka consumers: inbox in the handler's transaction, offsets after commit, DLQ."""

from .runtime import ConsumerRuntime, ConsumerStats, Handler

__all__ = ["ConsumerRuntime", "ConsumerStats", "Handler"]
