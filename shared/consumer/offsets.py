"""Offset commits that don't hold up the next fetch.

Each commit is started once its batch's database transactions have committed, and runs after
the previous one, so offsets still only move forward past work that is done. The consumer
fetches the next batch meanwhile: a Kafka 4 group coordinator may hold each offset write for a
few milliseconds (group.coordinator.append.linger.ms), which would otherwise sit on the
latency of every event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared import errortext

log = logging.getLogger("runway.consumer")


class OffsetCommitter:
    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self._last: asyncio.Task[None] | None = None

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._last = asyncio.create_task(self._after(self._last, dict(offsets)))

    async def _after(self, previous: asyncio.Task[None] | None,
                     offsets: dict[TopicPartition, int]) -> None:
        if previous is not None:
            await previous  # in order; a failed commit fails the ones after it too
        owned = self._consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if not mine:
            return  # handed over meanwhile: the new owner's inbox absorbs what comes again
        try:
            await self._consumer.commit(mine)
        except (CommitFailedError, IllegalStateError) as error:
            # A rebalance overtook this commit. Not worth a restart (which would itself
            # rebalance the group again): these messages are delivered again and the inbox
            # absorbs them.
            log.warning("offset commit overtaken by a rebalance",
                        extra={"error": errortext.describe(error)})

    def raise_if_failed(self) -> None:
        """Surface a failed commit (e.g. during a rebalance) so the runtime restarts; the
        uncommitted messages are redelivered and the inbox absorbs them."""
        if self._last is not None and self._last.done():
            self._last.result()

    async def flush(self) -> None:
        if self._last is not None:
            await self._last
