"""The running stack's description, var/stack.json: what `runway-stack up` started and where.

`runway-stack up` (and so `make run`) writes it once every service is ready and marks it
stopped on the way out; the `runway` commands read it so that they find the stack's services,
stores and Kafka with no flags, whichever backend it runs on. RUNWAY_STACK_FILE points at
another file (tests use one of their own).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import ValidationError

from shared.legaltime import DEFAULT_LEGAL_TIMEZONE
from shared.payloads import Frozen
from shared.process import alive
from shared.settings import REPO_ROOT, ToolSettings

STACK_FILE_ENV = "RUNWAY_STACK_FILE"
FORMAT: Final = 1  # written into the file; another number is another layout


def stack_file() -> Path:
    """Where the description lives: $RUNWAY_STACK_FILE, else <repo>/var/stack.json."""
    configured = ToolSettings().stack_file
    return Path(configured) if configured else REPO_ROOT / "var" / "stack.json"


class StackFileError(Exception):
    """The description exists but can't be used; the message says which file and why."""


class StackService(Frozen):
    url: str
    store: str
    log: str


class StackDescription(Frozen):
    format: Literal[1] = FORMAT
    services: dict[str, StackService]
    kafka_bootstrap: str
    topic_namespace: str
    backend: Literal["sqlite", "postgresql"]
    auth_dir: str                   # the local token issuer the services trust
    # The services' legal time zone: the `runway` commands compute legal dates in it too.
    # A description written before it was recorded: the default the services used then.
    legal_timezone: str = DEFAULT_LEGAL_TIMEZONE
    pid: int                        # the runway-stack process
    started_at: str
    broker_started: bool = False    # whether the stack started the Kafka broker itself
    stopped_at: str | None = None
    stopped: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.stopped_at is None and alive(self.pid)

    def stores(self) -> dict[str, str]:
        return {name: service.store for name, service in self.services.items()}

    def marked_stopped(self, stopped: Sequence[str]) -> StackDescription:
        return self.model_copy(update={"stopped_at": _now(), "stopped": tuple(stopped)})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write(description: StackDescription, path: Path | None = None) -> Path:
    """Replace the file atomically (a reader never sees half of it); 0600, since a
    PostgreSQL store URL carries its password."""
    target = path or stack_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".json.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(description.model_dump_json(indent=2) + "\n")
    os.replace(partial, target)
    return target


def read(path: Path | None = None) -> StackDescription | None:
    """The description, or None when no stack has written one."""
    source = path or stack_file()
    try:
        # Bytes, so that a file that is not UTF-8 JSON is a validation error like any other.
        return StackDescription.model_validate_json(source.read_bytes())
    except FileNotFoundError:
        return None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}"
                             for e in error.errors())
        raise StackFileError(f"{source} is not a stack description ({problems}): remove it, "
                             f"or start the stack again with make run") from error
