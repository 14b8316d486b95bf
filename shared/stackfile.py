"""The running stack's description, var/stack.json: what `runway-stack up` started and where.

`runway-stack up` (and so `make run`) writes it once every service is ready and marks it
stopped on the way out; the `runway` commands read it so that they find the stack's services,
stores and Kafka with no flags, whichever backend it runs on. RUNWAY_STACK_FILE points at
another file (tests use one of their own).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.settings import REPO_ROOT, ToolSettings

STACK_FILE_ENV = "RUNWAY_STACK_FILE"
FORMAT = 1


def stack_file() -> Path:
    """Where the description lives: $RUNWAY_STACK_FILE, else <repo>/var/stack.json."""
    configured = ToolSettings().stack_file
    return Path(configured) if configured else REPO_ROOT / "var" / "stack.json"


class StackFileError(Exception):
    """The description exists but can't be used; the message says which file and why."""


@dataclass(frozen=True)
class StackService:
    url: str
    store: str
    log: str


@dataclass(frozen=True)
class StackDescription:
    services: dict[str, StackService]
    kafka_bootstrap: str
    topic_namespace: str
    backend: str                    # "sqlite" or "postgresql"
    auth_dir: str                   # the local token issuer the services trust
    pid: int                        # the runway-stack process
    started_at: str
    broker_started: bool = False    # whether the stack started the Kafka broker itself
    stopped_at: str | None = None
    stopped: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.stopped_at is None and _alive(self.pid)

    def stores(self) -> dict[str, str]:
        return {name: service.store for name, service in self.services.items()}

    def marked_stopped(self, stopped: list[str]) -> StackDescription:
        return replace(self, stopped_at=_now(), stopped=stopped)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, though not ours to signal
        return True
    return True


def write(description: StackDescription, path: Path | None = None) -> Path:
    """Replace the file atomically (a reader never sees half of it); 0600, since a
    PostgreSQL store URL carries its password."""
    target = path or stack_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".json.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"format": FORMAT, **asdict(description)}, out, indent=2)
        out.write("\n")
    os.replace(partial, target)
    return target


def read(path: Path | None = None) -> StackDescription | None:
    """The description, or None when no stack has written one."""
    source = path or stack_file()
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return _parse(data)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise StackFileError(f"{source} is not a stack description ({error}): remove it, "
                             f"or start the stack again with make run") from error


def _parse(data: dict[str, Any]) -> StackDescription:
    if data.pop("format") != FORMAT:
        raise ValueError("unknown format")
    services = {name: StackService(**service) for name, service in data.pop("services").items()}
    return StackDescription(services=services, **data)
