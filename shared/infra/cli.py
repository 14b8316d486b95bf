"""`runway-infra`: create the declared Kafka topics; derive and apply the Kafka ACLs; migrate a
database. Kafka commands authenticate as the environment says (KAFKA_SECURITY_PROTOCOL,
KAFKA_SASL_*; see shared/messaging/security.py): on a secured cluster, as its admin."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from shared.messaging.kafka import default_bootstrap
from shared.messaging.security import KafkaSecurity, security_from_env
from shared.messaging.topics import ensure_topics, load_topics
from shared.migrate import migrate_url
from shared.pii import admin as pii_admin
from shared.settings import ToolSettings

if TYPE_CHECKING:
    from shared.infra.acls import AclBinding


async def _create_topics(bootstrap: str, security: KafkaSecurity) -> None:
    specs = load_topics(namespace=ToolSettings().topic_namespace or "")
    created = await ensure_topics(bootstrap, specs, security)
    print(f"topics: {len(specs)} declared, {len(created)} created"
          + (f" ({', '.join(created)})" if created else ""))


async def _migrate(url: str) -> None:
    await migrate_url(url)
    print(f"migrated {url.split('@')[-1]}")


async def _kafka_acls(args: argparse.Namespace) -> int:
    from shared.infra.acl_admin import create_acls
    from shared.infra.acls import acl_table, declared_uses, derive_acls

    acls = derive_acls(load_topics(namespace=args.namespace), declared_uses(args.namespace),
                       args.namespace)
    if args.apply or args.check:
        security = security_from_env()
        if args.apply:
            await create_acls(args.bootstrap, acls, security)
        if not await _cluster_matches(args.bootstrap, acls, security):
            return 1
    if args.json:
        print(json.dumps([a.as_dict() for a in acls], indent=2))
    else:
        print(acl_table(acls), end="")
    return 0


async def _cluster_matches(bootstrap: str, derived: list[AclBinding],
                           security: KafkaSecurity) -> bool:
    """Whether the cluster holds the derived ACLs and nothing else; says what differs."""
    from shared.infra.acl_admin import describe_acls
    from shared.infra.acls import acl_table
    from shared.infra.cluster_acls import cluster_acl_table, drift

    found = drift(derived, await describe_acls(bootstrap, security))
    if found.extra:
        print(f"kafka-acls: {len(found.extra)} ACLs on {bootstrap} are not derived from the "
              "services' declarations (each allows or denies what no service declared; "
              f"remove them):\n{cluster_acl_table(found.extra)}", file=sys.stderr)
    if found.missing:
        print(f"kafka-acls: {len(found.missing)} of {len(derived)} ACLs are not on "
              f"{bootstrap}:\n{acl_table(found.missing)}", file=sys.stderr)
    if found.clean:
        print(f"kafka-acls: {bootstrap} holds exactly the {len(derived)} derived ACLs",
              file=sys.stderr)
    return found.clean


def main(argv: list[str] | None = None) -> None:
    environment = ToolSettings()
    parser = argparse.ArgumentParser(prog="runway-infra")
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("create-topics", help="create the topics in contracts/topics.yaml")
    topics.add_argument("--bootstrap", default=default_bootstrap())
    acls = commands.add_parser(
        "kafka-acls", help="print (--apply: create, --check: verify) each service's Kafka ACLs")
    acls.add_argument("--bootstrap", default=default_bootstrap())
    acls.add_argument("--namespace", default=environment.topic_namespace or "",
                      help="topic namespace (RUNWAY_TOPIC_NAMESPACE)")
    acls.add_argument("--json", action="store_true", help="print the ACLs as JSON")
    acls.add_argument("--apply", action="store_true",
                      help="create them on the cluster, then --check")
    acls.add_argument("--check", action="store_true",
                      help="exit 1 unless the cluster holds exactly these ACLs: names any "
                           "that is missing and every other ACL on it")
    migrating = commands.add_parser("migrate", help="bring a database to the newest schema")
    migrating.add_argument("--database-url", default=environment.database_url)
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
