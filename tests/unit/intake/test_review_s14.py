"""Review s14 of intake, each finding with the reviewer's test (they failed before the fix).

- F1: a person who flew is not moved back to in_us_custody by judicial's void of a late
  pickup expiry, recorded after the departure or the landing: once handed over, a case only
  moves forward (read_model.status_moves), whatever order the events arrive in.
- F2: an item failing for the service's own reason is answered on its own row; the batch
  never sinks on it.

Pure unit tests: a throw-away SQLite file for the read model (as
tests/unit/intake/test_live_and_rebuilt.py does), no Kafka, no PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from services.intake import api
from services.intake.read_model import status_moves
from services.judicial import commands as cmd
from services.judicial.domain import note_handover
from services.judicial.events import HandedOver
from services.judicial.state import ClockKind
from shared.eventstore import Actor, EventContext, NewEvent
from shared.legaltime import legal_date
from tests.unit.judicial.support import at

from .test_live_and_rebuilt import (
    CASE,
    History,
    JudicialCase,
    granted,
    judicial_opened_history,
    live_and_rebuilt,
    manifest,
    shown,
)


def _transport(history: History, event_type: str, **data: Any) -> None:
    history.command("transport", f"T-{CASE}", [NewEvent(event_type, {"case_id": CASE, **data})])


def _ordered_and_on_a_flight() -> tuple[History, JudicialCase]:
    """A treaty case granted, no amparo, surrender ordered 2026-04-10 (pickup window of 60
    calendar days: due 2026-06-10), the person put on FLIGHT-1."""
    history, case = judicial_opened_history()
    granted(case)
    case.fire(ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case.run(cmd.OrderSurrender.model_validate({"ordered_on": "2026-04-10", "kind": "full"}))
    manifest(history)
    assert case.state.pickup is not None
    return history, case


def _hand_over(case: JudicialCase, when: Any) -> None:
    """judicial's consumer of transport.custody_transferred (services/judicial/consumers.py)."""
    case.record(note_handover(case.state, HandedOver(
        case_id=CASE, handed_over_at=when, handed_over_on=legal_date(when), flight_id="FLIGHT-1",
        place="aboard the aircraft", custody_transfer_event_id="e-custody")))


# =============================================================================================
# F1: the void of a late pickup expiry moves a landed / in-court person back to in_us_custody
# =============================================================================================

@pytest.mark.parametrize("later", [
    ["transport.person_departed"],
    ["transport.person_departed", "transport.person_landed"],
    ["transport.person_departed", "transport.person_landed", "court.intake_opened"]])
def test_a_voided_late_expiry_does_not_move_a_person_who_flew_back_to_in_us_custody(
        later: list[str], tmp_path: Path) -> None:
    """Handed over on the pickup window's last day; judicial's scheduler records the expiry
    (and the release) before transport's custody transfer reaches it (the case
    PickupExpiryVoided's docstring describes); transport records the departure and the
    landing (and court opens its intake); then judicial consumes the custody transfer and
    records judicial.handed_over + judicial.pickup_expiry_voided. STATUS_AFTER maps the void
    to in_us_custody unconditionally, and it is the most recently recorded event, so the
    person who is in the US (landed, in US court) shows in_us_custody again."""
    history, case = _ordered_and_on_a_flight()
    assert case.state.pickup is not None
    due = case.state.pickup.due_on
    handover_at = at(str(due - timedelta(days=1)), 23, 30)
    _transport(history, "transport.custody_transferred", flight_id="FLIGHT-1",
               transferred_at=handover_at.isoformat())
    case.fire(ClockKind.PICKUP_WINDOW, at(str(due), 0, 0, 1))   # before judicial heard of it
    for event_type in later:
        if event_type.startswith("court."):
            history.command("court", f"C-{CASE}", [NewEvent(event_type, {"case_id": CASE})])
        else:
            _transport(history, event_type, flight_id="FLIGHT-1")
    _hand_over(case, handover_at)
    assert [e for _, e in history.events][-1].event_type == "judicial.pickup_expiry_voided"
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    expected = {"transport.person_departed": "in_transit", "transport.person_landed": "landed",
                "court.intake_opened": "in_us_court"}[later[-1]]
    assert shown(live) == expected


# =============================================================================================
# F2: one item failing unexpectedly sinks the whole batch answer after others were written
# =============================================================================================

def test_an_item_failing_unexpectedly_does_not_sink_a_batch_that_already_wrote_cases(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """README: "A batch never sinks on one bad item: each request is answered on its own".
    submit_all gathers the items without return_exceptions: an exception other than
    InvalidRequest / RuleViolation / ConcurrencyConflict (a key-store timeout, a lost
    connection, an IntegrityError other than the reference's) propagates out of
    asyncio.gather, the endpoint answers 500 with no per-item results, while the other
    items' transactions have committed (and those not yet finished keep running: gather does
    not cancel them). The operator cannot tell which cases exist; a retry duplicates every
    created case that had no request_reference."""
    written: list[int] = []

    async def fake_submit(runtime: Any, submission: Any, context: Any) -> str:
        index = int(submission.prosecutor_office)
        await asyncio.sleep(0.01 * index)
        if index == 1:
            raise ConnectionError("key store timed out")
        written.append(index)
        return f"RWY-{index:010d}"

    monkeypatch.setattr(api, "submit", fake_submit)
    from tests.support.requests import request
    items = [{**request(), "prosecutor_office": str(i)} for i in range(4)]
    context = EventContext(actor=Actor("tester", "operator"), correlation_id="c")

    async def go() -> list[dict[str, Any]] | None:
        try:
            return await api.submit_all(None, items, context)  # type: ignore[arg-type]
        except ConnectionError:
            return None  # what the endpoint turns into a 500

    results = asyncio.run(go())
    assert results is not None, "the batch answered 500: cases written, none reported"
    assert sorted(written) == [0, 2, 3]  # every other item ran to its end before the answer
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r.get("case_id") for r in results if r["outcome"] == "created"] == [
        "RWY-0000000000", "RWY-0000000002", "RWY-0000000003"]


def test_the_status_is_the_same_in_every_arrival_order() -> None:
    """A release recorded after the departure, a departure, a void recorded after the landing,
    and the landing: in any order the status is the furthest stage after the handover."""
    t = [datetime(2026, 6, 10, h, tzinfo=UTC) for h in range(6)]
    events = [("in_transit", t[1]), ("released", t[2]), ("landed", t[3]),
              ("in_us_custody", t[4])]
    finals = set()
    for order in permutations(events):
        status, status_at = "surrender_ordered", t[0]
        for stage, recorded_at in order:
            if status_moves(status, status_at, stage, recorded_at):
                status, status_at = stage, recorded_at
        finals.add(status)
    assert finals == {"landed"}
