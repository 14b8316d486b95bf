"""One worker per partition, so that no partition waits for another.

The fetch loop hands each partition's messages to that partition's worker and goes on
fetching. A worker takes everything queued for its partition as one run, applies it (one
transaction, see batch.py), and then commits the partition's offset past it. A case's events
share a partition, so they are applied in order by one worker; different partitions go side by
side. Waiting for a whole fetched batch before fetching again tied every event's latency to the
slowest partition of its batch.

A partition whose queue grows past `max_backlog` messages is paused at the consumer until its
worker catches up, so a slow handler never makes the process buffer a topic in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from .batch import Message
from .offsets import OffsetCommitter

ApplyRun = Callable[[list[Message]], Awaitable[None]]


class PartitionPipeline:
    def __init__(self, apply_run: ApplyRun, committer: OffsetCommitter, *,
                 max_backlog: int = 2000) -> None:
        self._apply_run = apply_run
        self._committer = committer
        self._max_backlog = max_backlog
        self._queued: dict[TopicPartition, list[Message]] = {}
        self._wakeups: dict[TopicPartition, asyncio.Event] = {}
        self._workers: dict[TopicPartition, asyncio.Task[None]] = {}
        self._closing = False

    def feed(self, partition: TopicPartition, messages: list[Message]) -> None:
        self._queued.setdefault(partition, []).extend(messages)
        if partition not in self._workers:
            self._wakeups[partition] = asyncio.Event()
            self._workers[partition] = asyncio.create_task(self._work(partition))
        self._wakeups[partition].set()

    async def _work(self, partition: TopicPartition) -> None:
        wakeup = self._wakeups[partition]
        while True:
            await wakeup.wait()
            wakeup.clear()
            if self._closing:
                return  # what is still queued was never committed: it is delivered again
            run = self._queued.pop(partition, [])
            if run:
                await self._apply_run(run)
                # Everything up to here is committed in the database (or dead-lettered).
                self._committer.commit({partition: run[-1].offset + 1})

    def hold_back(self, consumer: AIOKafkaConsumer) -> None:
        """Pause the partitions whose workers are behind; resume those that caught up."""
        assigned = consumer.assignment()
        behind = {tp for tp, queued in self._queued.items()
                  if len(queued) > self._max_backlog and tp in assigned}
        paused = consumer.paused()
        if behind - paused:
            consumer.pause(*(behind - paused))
        caught_up = (paused - behind) & assigned
        if caught_up:
            consumer.resume(*caught_up)

    def raise_if_failed(self) -> None:
        """Surface a worker's failure (e.g. the database gone while stopping, a dead letter
        the broker refused) so the runtime restarts; its partition's uncommitted messages are
        delivered again and the inbox absorbs the repeats."""
        for task in self._workers.values():
            if task.done():
                task.result()

    async def close(self) -> None:
        """Let each worker finish the run in hand, then stop; queued runs are dropped."""
        self._closing = True
        for wakeup in self._wakeups.values():
            wakeup.set()
        for task in self._workers.values():
            with contextlib.suppress(Exception):
                await task
