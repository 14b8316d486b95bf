"""`runway-infra`: create the declared Kafka topics; migrate a database."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from shared.db import Database
from shared.messaging.kafka import default_bootstrap
from shared.messaging.topics import ensure_topics, load_topics
from shared.migrate import migrate


async def _create_topics(bootstrap: str) -> None:
    specs = load_topics()
    created = await ensure_topics(bootstrap, specs)
    print(f"topics: {len(specs)} declared, {len(created)} created"
          + (f" ({', '.join(created)})" if created else ""))


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await migrate(database)
    finally:
        await database.dispose()
    print(f"migrated {url.split('@')[-1]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="runway-infra")
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("create-topics", help="create the topics in contracts/topics.yaml")
    topics.add_argument("--bootstrap", default=default_bootstrap())
    migrating = commands.add_parser("migrate", help="bring a database to the newest schema")
    migrating.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if args.command == "create-topics":
        asyncio.run(_create_topics(args.bootstrap))
    elif args.command == "migrate":
        if not args.database_url:
            sys.exit("--database-url or DATABASE_URL is required")
        asyncio.run(_migrate(args.database_url))


if __name__ == "__main__":
    main()
