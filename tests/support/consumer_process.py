"""A consumer process for crash tests: the real runtime, with an optional crash injected right
after a database commit and before the offset commit.

    python -m tests.support.consumer_process DB_URL BOOTSTRAP TOPIC GROUP [--crash-after N]
Prints its stats as JSON when stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal

from shared.consumer import ConsumerRuntime
from shared.db import Database
from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.kafka import make_consumer, make_producer
from shared.process import stop_on_signals
from tests.support.effects import apply_in_order


async def main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    database = Database(args.database_url, pool_size=2)
    applied = 0

    def maybe_crash(_event: ConsumedEvent) -> None:
        nonlocal applied
        applied += 1
        if args.crash_after and applied >= args.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)  # database committed, offset not

    runtime = ConsumerRuntime(
        name=args.group, database=database,
        consumer_factory=lambda: make_consumer(args.bootstrap, args.group, [args.topic]),
        producer_factory=lambda: make_producer(args.bootstrap, args.group),
        handlers={"test.step_recorded.v1": apply_in_order},
        dead_letter_topic=f"{args.topic}.dlq", on_applied=maybe_crash)
    await runtime.run(stop)
    await database.dispose()
    print(json.dumps(dataclasses.asdict(runtime.stats)), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("database_url", "bootstrap", "topic", "group"):
        parser.add_argument(name)
    parser.add_argument("--crash-after", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
