"""Each event's legal time, gathered from where each service declares it, and the check
`runway audit verify` runs with it.

Every event carries `occurred_at`, meant to be the legal instant of its act, and
`recorded_at`, when Runway stored it. Each service's events module declares, in its
`LEGAL_TIMES` (judicial: each event class's `LEGAL_TIME`), where the legal time of each of its
event types comes from, in the terms of shared/legal_time_kinds.py (document, cause, with,
entry), so an auditor can check one against the other.

The table (`legal_times()`) is rendered into docs/contracts.md
(`python -m shared.audit.legal_times`), and a test checks it against contracts/schemas/*.json,
so it cannot drift from the contract: every schema has an entry and every field named is a
date or date-time of that schema. `runway audit verify` warns about an event whose
occurred_at's legal date differs from the date its legal time stands for (see `check_stream`
and `check_causes`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from shared.discovery import service_modules
from shared.eventstore import RecordedEvent
from shared.legal_time_kinds import Kind, LegalTime
from shared.legaltime import legal_date, legal_day_of


@cache
def legal_times() -> Mapping[str, LegalTime]:
    """Every event type's legal time: each service declares its own with its events
    (`LEGAL_TIMES` in services/<name>/events.py), so adding an event is one module. A service
    declares only its own types, each once; a key "<type>.v<N>" overrides the type's entry for
    that one schema version. The kinds are those of shared/legal_time_kinds.py, and
    `runway audit verify` checks each event's occurred_at against its entry."""
    table: dict[str, LegalTime] = {}
    for service, events in service_modules("events").items():
        declared: Mapping[str, LegalTime] = events.LEGAL_TIMES
        for event_type, legal_time in declared.items():
            if not event_type.startswith(f"{service}.") or event_type in table:
                raise ValueError(f"{service} declares the legal time of {event_type}")
            table[event_type] = legal_time
    return MappingProxyType(table)


def legal_time_of(event_type: str, schema_version: int) -> LegalTime | None:
    table = legal_times()
    return table.get(f"{event_type}.v{schema_version}") or table.get(event_type)


def field_value(payload: Mapping[str, Any], path: str) -> Any:
    """A payload field by its dotted path (`diplomatic_note.issued_on`); None if absent."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


# --- the check `runway audit verify` runs ----------------------------------------------------

@dataclass(frozen=True)
class Mismatch:
    """An event whose occurred_at does not fall on the legal date its legal time says."""

    event: RecordedEvent
    detail: str


@dataclass(frozen=True)
class PendingCause:
    """A derived event to compare with its cause, once the cause is found in some store."""

    event: RecordedEvent
    cause_id: str
    not_before: date | None = None  # the event's own floor (LegalTime.not_before)


def _day(value: Any, zone_name: str) -> date | None:
    try:
        return legal_day_of(value, zone_name) if isinstance(value, str | date) else None
    except ValueError:
        return None


def _differs(event: RecordedEvent, day: date, source: str, zone_name: str) -> Mismatch | None:
    occurred = legal_date(event.occurred_at, zone_name)
    if occurred == day:
        return None
    return Mismatch(event, f"occurred_at {event.occurred_at.isoformat()} is legal date "
                           f"{occurred} ({zone_name}) but {source} is {day}")


def check_stream(stream: Sequence[RecordedEvent], zone_name: str
                 ) -> tuple[list[Mismatch], list[PendingCause]]:
    """Each event of one stream (in version order) against its legal time: the documents'
    dates here, the causes to look up in the stores afterwards. Events appended by one command
    share their recorded_at; a `with` event is compared with the first event of its command."""
    found: list[Mismatch] = []
    pending: list[PendingCause] = []
    first_of_command: RecordedEvent | None = None
    for event in stream:
        if first_of_command is None or first_of_command.recorded_at != event.recorded_at:
            first_of_command = event
        rule = legal_time_of(event.event_type, event.schema_version)
        if rule is None or rule.kind is Kind.ENTRY:
            continue
        copy = next(((f, v) for f in rule.fields
                     if (v := field_value(event.payload, f)) is not None), None)
        if copy is not None and (day := _day(copy[1], zone_name)) is not None:
            label = f"its legal field {copy[0]}" if rule.kind is Kind.DOCUMENT else (
                f"its cause's legal time (copied in {copy[0]})")
            if (mismatch := _differs(event, day, label, zone_name)) is not None:
                found.append(mismatch)
            continue
        floor = _day(field_value(event.payload, rule.not_before), zone_name) \
            if rule.not_before else None
        if rule.kind is Kind.WITH and first_of_command is not event:
            act_day = legal_date(first_of_command.occurred_at, zone_name)
            source = (f"the act recorded with it "
                      f"({first_of_command.event_type} v{first_of_command.version})")
            if floor is not None and floor > act_day:
                act_day, source = floor, f"its {rule.not_before} (later than {source})"
            if (mismatch := _differs(event, act_day, source, zone_name)) is not None:
                found.append(mismatch)
        elif rule.kind in (Kind.CAUSE, Kind.WITH) and event.causation_id:
            pending.append(PendingCause(event, event.causation_id, floor))
    return found, pending


def check_causes(pending: Sequence[PendingCause], causes: Mapping[str, tuple[str, datetime]],
                 zone_name: str) -> list[Mismatch]:
    """Derived events against their causes' legal dates (`causes`: event id -> (event type,
    occurred_at) of the causes some store holds; a cause no store holds is not judged here)."""
    found: list[Mismatch] = []
    for item in pending:
        known = causes.get(item.cause_id)
        if known is None:
            continue
        cause_type, occurred = known
        day = legal_date(occurred, zone_name)
        source = f"its cause's legal date ({cause_type} {item.cause_id})"
        if item.not_before is not None and item.not_before > day:
            day, source = item.not_before, f"its own floor (later than {source})"
        mismatch = _differs(item.event, day, source, zone_name)
        if mismatch is not None:
            found.append(mismatch)
    return found


# --- the page ----------------------------------------------------------------------------------

START = "<!-- legal-time-table: generated by `python -m shared.audit.legal_times`; do not edit -->"
END = "<!-- legal-time-table: end -->"
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
_VERSION = re.compile(r"^(?P<type>.+)\.v(?P<version>\d+)$")


def schema_types(schemas: Sequence[str]) -> dict[str, list[int]]:
    """event type -> its schema versions, from `<type>.v<N>` names."""
    found: dict[str, list[int]] = {}
    for name in schemas:
        match = _VERSION.match(name)
        if match:
            found.setdefault(match["type"], []).append(int(match["version"]))
    return {t: sorted(v) for t, v in sorted(found.items())}


def table(types: Mapping[str, Sequence[int]]) -> str:
    """One row per event type, or per group of its versions where they differ: a new
    version with the same legal time changes nothing here (the test still checks its schema)."""
    rows = ["| event type | versions | legal time | kind |", "|---|---|---|---|"]
    for event_type, versions in types.items():
        rules: dict[str, list[int]] = {}
        for version in versions:
            rule = legal_time_of(event_type, version)
            described = f"{rule.describe()} | {rule.kind.value}" if rule else "? | undocumented"
            rules.setdefault(described, []).append(version)
        for described, vs in rules.items():
            named = "all" if len(rules) == 1 else ", ".join(f"v{v}" for v in vs)
            rows.append(f"| `{event_type}` | {named} | {described} |")
    return "\n".join(rows) + "\n"


def with_table(page: str, types: Mapping[str, Sequence[int]]) -> str:
    """The page with its generated table between the markers refreshed."""
    head, start, rest = page.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the page lacks the markers {START!r} and {END!r}")
    return f"{head}{START}\n{table(types)}{END}{tail}"


def committed_types() -> dict[str, list[int]]:
    schemas = DOCUMENT.parents[1] / "contracts" / "schemas"
    return schema_types([p.name.removesuffix(".json") for p in schemas.glob("*.json")])


def main() -> int:
    page = DOCUMENT.read_text(encoding="utf-8")
    refreshed = with_table(page, committed_types())
    if refreshed != page:
        DOCUMENT.write_text(refreshed, encoding="utf-8")
        print(f"{DOCUMENT.name}: legal-time table written")
    else:
        print(f"{DOCUMENT.name}: legal-time table already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
