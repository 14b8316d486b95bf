"""One worker per partition, so that no partition waits for another.

The fetch loop hands each partition's messages to that partition's worker and goes on
fetching. A worker takes what is queued for its partition (at most `max_run` messages) as one
run, applies it (one transaction, see batch.py), and then commits the partition's offset past
it. A case's events share a partition, so they are applied in order by one worker; different
partitions go side by side. Waiting for a whole fetched batch before fetching again tied every
event's latency to the slowest partition of its batch.

A partition whose queue grows past `max_backlog` messages is paused at the consumer until its
worker catches up, so a slow handler never makes the process buffer a topic in memory. When a
rebalance takes partitions away, their queues are dropped and the runs in hand finish and
commit before the partitions are handed over, so the next owner neither waits on this
process's open transactions nor sees its work again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from .batch import Message
from .offsets import OffsetCommitter

ApplyRun = Callable[[list[Message]], Awaitable[None]]


class PartitionPipeline:
    def __init__(self, apply_run: ApplyRun, committer: OffsetCommitter, *,
                 max_backlog: int = 2000, max_run: int = 500) -> None:
        self._apply_run = apply_run
        self._committer = committer
        self._max_backlog = max_backlog
        self._max_run = max_run
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
        me = asyncio.current_task()
        while True:
            await wakeup.wait()
            wakeup.clear()
            if self._closing or self._workers.get(partition) is not me:
                return  # what is still queued was never committed: it is delivered again
            queued = self._queued.pop(partition, [])
            run, rest = queued[:self._max_run], queued[self._max_run:]
            if rest:
                self._queued[partition] = rest
                wakeup.set()
            if run:
                await self._apply_run(run)
                # Everything up to here is committed in the database (or dead-lettered).
                self._committer.commit({partition: run[-1].offset + 1})

    async def release(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions taken away by a rebalance: drop what is queued, let the runs in hand
        finish (and queue their offset commits), and forget the workers."""
        leaving = []
        for partition in partitions:
            self._queued.pop(partition, None)
            worker = self._workers.pop(partition, None)
            wakeup = self._wakeups.pop(partition, None)
            if worker is not None and wakeup is not None:
                wakeup.set()
                leaving.append(worker)
        await asyncio.gather(*leaving, return_exceptions=True)

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
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
