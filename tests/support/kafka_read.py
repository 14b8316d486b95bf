"""Reading a topic back, start to end, to check what really reached Kafka."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord

from shared.audit.sources import read_to_checkpoint
from shared.retry import poll

# How often wait_for asks its condition again; the deadline, not this, bounds the wait.
POLL_S = 0.05


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message on `topic` right now, in partition then offset order."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    await read_to_checkpoint(bootstrap, topic, records.extend, timeout_s=60)
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def wait_for(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 60, what: str = "condition"
) -> None:
    """Poll an async condition until it holds, failing after `timeout` seconds."""
    await poll(condition, within=timeout, every=POLL_S, what=what,
               give_up=lambda _: AssertionError(f"timed out after {timeout}s waiting for {what}"))


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return str(value.decode())
    return None
