"""Where the `runway` commands find the stack: flags, then the environment, then the running
stack's description (var/stack.json, written by `make run` / `runway-stack up`), then the
defaults of a local PostgreSQL run. So with no flags a command talks to whatever stack is
running, on SQLite or PostgreSQL alike."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from shared import stackfile
from shared.audit.sources import AuditTarget
from shared.cli.failures import EXIT_UNREACHABLE, EXIT_USAGE, CommandFailed
from shared.cli.settings import CliSettings
from shared.messaging.kafka import KafkaSettings
from shared.messaging.security import security_from_env
from shared.settings import ServiceSettings, ToolSettings, service_database_url
from shared.topology import SERVICES, default_url

DEFAULT_INTAKE_URL = default_url("intake")
DEFAULT_SERVER = "postgresql+asyncpg://runway:runway@127.0.0.1:5433/runway"


@dataclass(frozen=True)
class Where:
    intake_url: str
    stores: dict[str, str]
    bootstrap: str
    namespace: str
    stack: stackfile.StackDescription | None

    def audit_target(self) -> AuditTarget:
        missing = [url for url in self.stores.values() if _absent_sqlite(url)]
        if missing:
            raise CommandFailed(f"no event store at {make_url(missing[0]).database}: "
                                f"{self.stack_hint()}, or pass --store SERVICE=URL",
                                EXIT_UNREACHABLE)
        return AuditTarget(self.stores, self.bootstrap, self.namespace, security_from_env())

    def stack_hint(self) -> str:
        """What to do about a stack that isn't there, for the end of an error line."""
        if self.stack is None:
            return "start the stack with make run"
        if not self.stack.running:
            return (f"the stack in {stackfile.stack_file()} stopped"
                    f"{' at ' + self.stack.stopped_at if self.stack.stopped_at else ''}: "
                    f"start it again with make run")
        return "check the stack's logs under var/log"


def _absent_sqlite(url: str) -> bool:
    """A SQLite store whose file doesn't exist: opening it would create an empty one."""
    parsed = make_url(url)
    return (parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            and not Path(str(parsed.database)).exists())


def running_stack() -> stackfile.StackDescription | None:
    try:
        return stackfile.read()
    except stackfile.StackFileError as error:
        raise CommandFailed(str(error), EXIT_UNREACHABLE) from error


def resolve(args: argparse.Namespace) -> Where:
    stack = running_stack()
    return Where(intake_url=_intake_url(args, stack), stores=_stores(args, stack),
                 bootstrap=_bootstrap(args, stack), namespace=_namespace(args, stack),
                 stack=stack)


def _intake_url(args: argparse.Namespace, stack: stackfile.StackDescription | None) -> str:
    chosen = getattr(args, "intake_url", None) or CliSettings().intake_url
    if chosen:
        return str(chosen)
    if stack is not None and "intake" in stack.services:
        return stack.services["intake"].url
    return DEFAULT_INTAKE_URL


def _stores(args: argparse.Namespace, stack: stackfile.StackDescription | None
            ) -> dict[str, str]:
    flags = getattr(args, "store", None) or []
    if flags:
        wrong = [item for item in flags if "=" not in item or not item.split("=", 1)[1]]
        if wrong:
            raise CommandFailed(f"--store {wrong[0]}: give SERVICE=URL, e.g. "
                                "--store intake=sqlite+aiosqlite:///runway-intake.db", EXIT_USAGE)
        return dict(item.split("=", 1) for item in flags)
    services = tuple(getattr(args, "services", None) or SERVICES)
    if isinstance(getattr(args, "services", None), str):
        services = tuple(args.services.split(","))
    server = getattr(args, "database_url", None) or ToolSettings().database_url
    if not server and stack is not None:
        return {s: url for s, url in stack.stores().items() if s in services}
    prefix = ServiceSettings().database_prefix  # RUNWAY_DATABASE_PREFIX, as the services read it
    return {s: service_database_url(server or DEFAULT_SERVER, s, prefix) for s in services}


def _bootstrap(args: argparse.Namespace, stack: stackfile.StackDescription | None) -> str:
    kafka = KafkaSettings()
    chosen = getattr(args, "bootstrap", None) or kafka.bootstrap_servers
    if chosen:
        return str(chosen)
    if stack is not None and not kafka.port_configured:
        return stack.kafka_bootstrap
    return kafka.bootstrap()


def _namespace(args: argparse.Namespace, stack: stackfile.StackDescription | None) -> str:
    chosen = getattr(args, "namespace", None)
    if chosen is None:
        chosen = ToolSettings().topic_namespace
    if chosen is None and stack is not None:
        chosen = stack.topic_namespace
    return chosen or ""
