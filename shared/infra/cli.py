"""`runway-infra`: create the declared Kafka topics; derive and apply the Kafka ACLs; migrate a
database. Kafka commands authenticate as the environment says (KAFKA_SECURITY_PROTOCOL,
KAFKA_SASL_*; see shared/messaging/security.py): on a secured cluster, as its admin."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from shared.db import Database
from shared.messaging.kafka import default_bootstrap
from shared.messaging.security import KafkaSecurity, security_from_env
from shared.messaging.topics import ensure_topics, load_topics
from shared.migrate import migrate
from shared.pii import admin as pii_admin


async def _create_topics(bootstrap: str, security: KafkaSecurity) -> None:
    specs = load_topics(namespace=os.environ.get("RUNWAY_TOPIC_NAMESPACE", ""))
    created = await ensure_topics(bootstrap, specs, security)
    print(f"topics: {len(specs)} declared, {len(created)} created"
          + (f" ({', '.join(created)})" if created else ""))


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await migrate(database)
    finally:
        await database.dispose()
    print(f"migrated {url.split('@')[-1]}")


async def _kafka_acls(args: argparse.Namespace) -> int:
    from shared.infra.acl_admin import create_acls, describe_acls
    from shared.infra.acls import acl_table, declared_uses, derive_acls

    acls = derive_acls(load_topics(namespace=args.namespace), declared_uses(args.namespace),
                       args.namespace)
    if args.apply or args.check:
        security = security_from_env()
        if args.apply:
            await create_acls(args.bootstrap, acls, security)
        missing = sorted(set(acls) - set(await describe_acls(args.bootstrap, security)))
        if missing:
            print(f"kafka-acls: {len(missing)} of {len(acls)} ACLs are not on "
                  f"{args.bootstrap}:\n{acl_table(missing)}", file=sys.stderr)
            return 1
        print(f"kafka-acls: all {len(acls)} ACLs are on {args.bootstrap}", file=sys.stderr)
    if args.json:
        print(json.dumps([a.as_dict() for a in acls], indent=2))
    else:
        print(acl_table(acls), end="")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="runway-infra")
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("create-topics", help="create the topics in contracts/topics.yaml")
    topics.add_argument("--bootstrap", default=default_bootstrap())
    acls = commands.add_parser(
        "kafka-acls", help="print (--apply: create, --check: verify) each service's Kafka ACLs")
    acls.add_argument("--bootstrap", default=default_bootstrap())
    acls.add_argument("--namespace", default=os.environ.get("RUNWAY_TOPIC_NAMESPACE", ""),
                      help="topic namespace (RUNWAY_TOPIC_NAMESPACE)")
    acls.add_argument("--json", action="store_true", help="print the ACLs as JSON")
    acls.add_argument("--apply", action="store_true", help="create them on the cluster")
    acls.add_argument("--check", action="store_true",
                      help="exit 1 if any is missing from the cluster")
    migrating = commands.add_parser("migrate", help="bring a database to the newest schema")
    migrating.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    pii_admin.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in pii_admin.COMMANDS:
        sys.exit(asyncio.run(pii_admin.run(args)))
    if args.command == "create-topics":
        asyncio.run(_create_topics(args.bootstrap, security_from_env()))
    elif args.command == "kafka-acls":
        sys.exit(asyncio.run(_kafka_acls(args)))
    elif args.command == "migrate":
        if not args.database_url:
            sys.exit("--database-url or DATABASE_URL is required")
        asyncio.run(_migrate(args.database_url))


if __name__ == "__main__":
    main()
