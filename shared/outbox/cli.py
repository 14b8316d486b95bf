"""`runway-relay`: run an outbox relay as a process of its own.

Services embed the relay; this entry point runs it alone, e.g. for a dedicated relay
deployment or to prove crash recovery by killing it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from shared.db import Database
from shared.logs import configure_logging
from shared.messaging.kafka import default_bootstrap, make_producer
from shared.messaging.security import security_from_env
from shared.process import stop_on_signals
from shared.settings import ToolSettings

from .relay import OutboxRelay


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="runway-relay", description=__doc__)
    database_url = ToolSettings().database_url
    parser.add_argument("--database-url", default=database_url, required=database_url is None)
    parser.add_argument("--bootstrap", default=default_bootstrap())
    parser.add_argument("--source", required=True, help="CloudEvents source, e.g. /runway/intake")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    database = Database(args.database_url, pool_size=2)
    security = security_from_env()
    relay = OutboxRelay(
        database,
        lambda: make_producer(args.bootstrap, client_id=f"relay{args.source.replace('/', '-')}",
                              security=security),
        source=args.source,
        batch_size=args.batch_size,
        poll_interval=args.poll_interval,
    )
    try:
        await relay.run(stop)
    finally:
        await database.dispose()


def main() -> None:
    configure_logging("relay")
    logging.getLogger("runway.relay").info("relay starting")
    asyncio.run(_main(_arguments()))


if __name__ == "__main__":
    main()
