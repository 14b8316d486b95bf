"""The per-event legal-time table (shared/audit/legal_times.py, rendered in docs/contracts.md)
against the contract's event schemas, and the check `runway audit verify` runs with it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.audit import legal_times as lt
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.legal_time_kinds import Kind

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"
ZONE = "America/Mexico_City"


def schemas() -> dict[str, dict[str, Any]]:
    return {p.name.removesuffix(".json"): json.loads(p.read_text())
            for p in sorted(SCHEMAS.glob("*.json"))}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]])
    for choice in node.get("anyOf", ()):
        if choice.get("type") != "null":
            return _resolve(schema, choice)
    return node


def field_format(schema: dict[str, Any], path: str) -> str | None:
    node: dict[str, Any] = schema
    for part in path.split("."):
        node = _resolve(schema, node).get("properties", {}).get(part)
        if node is None:
            return None
    return _resolve(schema, node).get("format")


def test_every_event_schema_has_a_legal_time() -> None:
    undocumented = []
    for name in schemas():
        event_type, _, version = name.rpartition(".v")
        if lt.legal_time_of(event_type, int(version)) is None:
            undocumented.append(name)
    assert undocumented == [], ("declare them in the service's events.py: LEGAL_TIMES, or "
                                "a judicial event class's LEGAL_TIME")


def test_every_field_named_is_a_date_or_instant_of_that_schema() -> None:
    wrong = []
    for name, schema in schemas().items():
        event_type, _, version = name.rpartition(".v")
        rule = lt.legal_time_of(event_type, int(version))
        assert rule is not None
        for field in (*rule.fields, *([rule.not_before] if rule.not_before else [])):
            if field_format(schema, field) not in ("date", "date-time"):
                wrong.append(f"{name}: {field} is not a date or date-time of the schema")
        if rule.kind is Kind.DOCUMENT:
            assert len(rule.fields) == 1, name
    assert wrong == []


def test_the_table_names_no_event_the_contract_lacks() -> None:
    names = schemas()
    types = {n.rpartition(".v")[0] for n in names}
    stale = [key for key in lt.legal_times() if key not in types and key not in names]
    assert stale == []


def test_the_table_in_docs_contracts_is_up_to_date() -> None:
    page = lt.DOCUMENT.read_text(encoding="utf-8")
    assert lt.with_table(page, lt.committed_types()) == page, (
        "run `.venv/bin/python -m shared.audit.legal_times`")
    assert "| `judicial.surrender_ordered` | all | `ordered_on` | document |" in page
    assert "`transport.custody_transferred` | all | `transferred_at`" in page
    assert "| `assurance.assurance_received` | v2 | `diplomatic_note.issued_on`" in page


def test_a_field_the_schema_lacks_is_caught() -> None:
    schema = schemas()["judicial.surrender_ordered.v1"]
    assert field_format(schema, "ordered_on") == "date"
    assert field_format(schema, "ordred_on") is None
    received = schemas()["assurance.assurance_received.v2"]
    assert field_format(received, "diplomatic_note.issued_on") == "date"


# --- the check ---------------------------------------------------------------------------------

def event(event_type: str, payload: dict[str, Any], occurred: datetime,
          recorded: datetime | None = None, version: int = 1,
          causation: str | None = None) -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id="RWY-1", stream_type="case", version=version,
        event_type=event_type, schema_version=1, payload_json=json.dumps(payload),
        occurred_at=occurred, recorded_at=recorded or occurred, actor=Actor("clerk", "clerk"),
        correlation_id="c", causation_id=causation, prev_hash="0" * 64, hash="0" * 64,
        position=GlobalPosition.START)


def details(found: Sequence[lt.Mismatch]) -> list[str]:
    return [m.detail for m in found]


def test_an_event_whose_occurred_at_is_another_day_than_its_legal_field_is_flagged() -> None:
    entered = datetime(2026, 1, 25, 15, 0, tzinfo=UTC)
    late = event("judicial.surrender_ordered", {"ordered_on": "2026-01-20"}, occurred=entered)
    found, pending = lt.check_stream([late], ZONE)
    assert pending == []
    [detail] = details(found)
    assert "legal date 2026-01-25" in detail and "ordered_on is 2026-01-20" in detail


def test_a_handoff_at_half_past_eleven_at_night_local_is_that_legal_day() -> None:
    # 23:30 in Mexico City on the 20th is 05:30 UTC on the 21st: the same legal date.
    handoff = datetime(2026, 1, 21, 5, 30, tzinfo=UTC)
    ok = event("transport.custody_transferred", {"transferred_at": "2026-01-21T05:30:00Z"},
               occurred=handoff, recorded=datetime(2026, 2, 1, tzinfo=UTC))
    dated_on_utc_day = event("judicial.surrender_ordered", {"ordered_on": "2026-01-21"},
                             occurred=handoff)
    found, _ = lt.check_stream([ok, dated_on_utc_day], ZONE)
    assert [m.event for m in found] == [dated_on_utc_day]
    assert lt.check_stream([dated_on_utc_day], "UTC")[0] == []


def test_a_consequence_takes_the_legal_date_of_the_act_recorded_with_it() -> None:
    recorded = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    withdrawn = event("assurance.assurance_withdrawn", {"withdrawn_on": "2026-01-16"},
                      occurred=datetime(2026, 1, 16, 6, 0, tzinfo=UTC), recorded=recorded)
    ended_then = event("assurance.death_penalty_clearance_withdrawn", {},
                       occurred=withdrawn.occurred_at, recorded=recorded, version=2)
    ended_now = event("assurance.death_penalty_clearance_withdrawn", {},
                      occurred=recorded, recorded=recorded, version=2)
    assert lt.check_stream([withdrawn, ended_then], ZONE)[0] == []
    [detail] = details(lt.check_stream([withdrawn, ended_now], ZONE)[0])
    assert "assurance.assurance_withdrawn v1" in detail


def test_a_clearance_restated_with_an_earlier_act_keeps_its_own_date() -> None:
    """Recorded with an earlier custody transfer entered after it, the clearance still takes
    effect on its cleared_since; one dated at the transfer (as before 5ccd11b) is named."""
    recorded = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    noted = event("assurance.transfer_noted", {"transferred_at": "2026-01-20T16:00:00Z"},
                  occurred=datetime(2026, 1, 20, 16, 0, tzinfo=UTC), recorded=recorded)
    since = {"cleared_since": "2026-01-22T06:00:00Z"}
    on_its_date = event("assurance.death_penalty_clearance_granted", since,
                        occurred=datetime(2026, 1, 22, 6, 0, tzinfo=UTC), recorded=recorded,
                        version=2)
    at_the_transfer = event("assurance.death_penalty_clearance_granted", since,
                            occurred=noted.occurred_at, recorded=recorded, version=2)
    assert lt.check_stream([noted, on_its_date], ZONE)[0] == []
    [detail] = details(lt.check_stream([noted, at_the_transfer], ZONE)[0])
    assert "its cleared_since" in detail and "2026-01-22" in detail


def test_a_derived_event_is_compared_with_its_cause_in_another_store() -> None:
    cause_id = str(uuid.uuid4())
    noted = event("court.request_noted", {}, occurred=datetime(2026, 2, 1, 18, tzinfo=UTC),
                  causation=cause_id)
    found, pending = lt.check_stream([noted], ZONE)
    assert found == [] and [p.cause_id for p in pending] == [cause_id]
    same_day = {cause_id: ("intake.request_submitted", datetime(2026, 2, 1, 7, tzinfo=UTC))}
    assert lt.check_causes(pending, same_day, ZONE) == []
    earlier = {cause_id: ("intake.request_submitted", datetime(2026, 1, 10, 7, tzinfo=UTC))}
    [detail] = details(lt.check_causes(pending, earlier, ZONE))
    assert f"intake.request_submitted {cause_id}" in detail and "2026-01-10" in detail
    assert lt.check_causes(pending, {}, ZONE) == [], "a cause no store holds is not judged"


def test_a_copy_of_the_cause_s_time_in_the_payload_is_checked_without_the_cause() -> None:
    noted = event("transport.surrender_order_noted", {"ordered_on": "2026-01-20"},
                  occurred=datetime(2026, 1, 28, 18, tzinfo=UTC), causation="x")
    [mismatch], pending = lt.check_stream([noted], ZONE)
    assert "copied in ordered_on" in mismatch.detail and pending == []


@pytest.mark.parametrize("event_type", ["intake.request_submitted", "transport.flight_scheduled",
                                        "unknown.event"])
def test_entries_and_unknown_types_are_not_judged(event_type: str) -> None:
    entered = event(event_type, {"scheduled_departure": "2020-01-01T00:00:00Z"},
                    occurred=datetime(2026, 1, 28, tzinfo=UTC), causation="x")
    assert lt.check_stream([entered], ZONE) == ([], [])
