"""What each service tells the audit tool about one case, computed from its events alone.

A service offers `services/<name>/audit.py` with `AUDIT = CaseAudit(...)`: `view` folds a case
stream into the JSON state the service would show; `blockers` names the rules of that phase
holding the case back, with the events that prove it and the events still missing. Both are
pure functions of the events, so an auditor can ask them about any past instant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.discovery import service_modules
from shared.eventstore import RecordedEvent


@dataclass(frozen=True)
class Blocker:
    rule: str
    detail: str
    evidence: tuple[str, ...] = ()   # "event_type event_id" of the events that hold the case
    missing: tuple[str, ...] = ()    # the events whose absence holds it

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "detail": self.detail, "evidence": list(self.evidence),
                "missing": list(self.missing)}


@dataclass(frozen=True)
class CaseAudit:
    view: Callable[[Sequence[RecordedEvent]], dict[str, Any]]
    blockers: Callable[[Sequence[RecordedEvent]], list[Blocker]] = field(
        default=lambda _events: [])


def cite(event: RecordedEvent) -> str:
    return f"{event.event_type} {event.event_id} (v{event.version})"


def last_of(events: Sequence[RecordedEvent], *event_types: str) -> list[RecordedEvent]:
    return [e for e in events if e.event_type in event_types]


def discover() -> dict[str, CaseAudit]:
    return {name: module.AUDIT for name, module in service_modules("audit").items()
            if hasattr(module, "AUDIT")}


def discover_replays() -> dict[str, Any]:
    """service -> ReadModelReplay, for the services whose read models can be rebuilt."""
    return {name: module.REPLAY for name, module in service_modules("audit").items()
            if hasattr(module, "REPLAY")}
