"""`runway audit as-of` and `explain` on a real store (PostgreSQL and SQLite): a
national-security transfer entered after the fact, where "what Runway knew at T" and "the
legal position on D, as now known" give different answers; and the legal-time check of
`runway audit verify` finding a derived event's cause in a store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from shared.audit.asof import Question, case_as_of, explain
from shared.audit.http import create_audit_app
from shared.audit.legal_times import check_causes, check_stream
from shared.audit.sources import AuditTarget, occurrences
from shared.audit.verify import verify
from shared.clock import ManualClock
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent, RecordedEvent
from shared.legaltime import TimelineOrder
from tests.support.auth import service_headers
from tests.support.infra import fresh_namespace

CASE = "RWY-AFTERFACT1"
ZONE = "America/Mexico_City"
OPENED = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)          # opened and recorded the same day
HANDOFF = datetime(2026, 1, 21, 5, 30, tzinfo=UTC)         # 23:30 on the 20th in Mexico City
ENTERED = datetime(2026, 1, 22, 15, 0, tzinfo=UTC)         # typed in two days later
ASKED_AT = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)        # what did Runway know then?


async def append(database: Database, clock: ManualClock, at: datetime, version: int,
                 event_type: str, payload: dict[str, Any], occurred: datetime,
                 causation: str | None = None) -> RecordedEvent:
    clock.set(at)
    async with database.transaction() as conn:
        [recorded] = await EventStore(clock).append(
            conn, stream_id=CASE, stream_type="judicial_case", expected_version=version - 1,
            events=[NewEvent(event_type, payload, occurred_at=occurred)],
            context=EventContext(actor=Actor("clerk-1", "judicial_clerk"),
                                 causation_id=causation), topic=None)
    return recorded


@pytest.fixture
async def entered_after_the_fact(any_db: Database) -> AuditTarget:
    clock = ManualClock(OPENED)
    await append(any_db, clock, OPENED, 1, "judicial.case_opened", {
        "case_id": CASE, "opened_at": OPENED.isoformat(), "legal_basis": "national_security",
        "requesting_district": "EDNY", "charge_ids": ["c1"],
        "intake_event_id": "00000000-0000-0000-0000-000000000001"}, OPENED)
    await append(any_db, clock, ENTERED, 2, "judicial.national_security_transfer_authorized", {
        "case_id": CASE, "authorized_at": HANDOFF.isoformat(),
        "us_request_reference": "DOJ-2026-01", "authority": "SSPC",
        "requesting_district": "EDNY", "is_extradition": False}, HANDOFF)
    return AuditTarget({"judicial": any_db.url}, bootstrap="127.0.0.1:1")


def types(answer: dict[str, Any]) -> list[str]:
    return [e["event_type"] for e in answer["timeline"]]


def rules(answer: dict[str, Any]) -> list[str]:
    return [b["rule"] for b in answer["blockers"]]


AUTHORIZED = "judicial.national_security_transfer_authorized"
AMENDMENT = {"case_id": CASE, "charge_ids": ["c1"], "added_charge_ids": [],
             "removed_charge_ids": [], "reason": "retyped", "after_sre_grant": False}


async def test_what_runway_knew_then_lacks_the_transfer_entered_later(
    entered_after_the_fact: AuditTarget,
) -> None:
    knew = await case_as_of(entered_after_the_fact, CASE, Question.recorded(ASKED_AT, ZONE))
    assert knew["axis"] == "recorded" and "recorded axis" in knew["answer"]
    assert types(knew) == ["judicial.case_opened"]
    why = await explain(entered_after_the_fact, CASE, Question.recorded(ASKED_AT, ZONE))
    assert why["axis"] == "recorded"
    assert "surrender_not_ordered" in rules(why)


async def test_the_legal_position_on_the_20th_includes_the_late_entered_transfer(
    entered_after_the_fact: AuditTarget,
) -> None:
    legal = await case_as_of(entered_after_the_fact, CASE,
                             Question.legal(date(2026, 1, 20), zone=ZONE))
    assert legal["axis"] == "legal" and legal["legal_date"] == "2026-01-20"
    assert types(legal) == ["judicial.case_opened", AUTHORIZED]
    transfer = legal["timeline"][1]
    assert transfer["legal_date"] == "2026-01-20", "23:30 local counts on the 20th"
    assert transfer["recorded_at"].startswith("2026-01-22T15:00"), "entered two days later"
    why = await explain(entered_after_the_fact, CASE,
                        Question.legal(date(2026, 1, 20), zone=ZONE))
    assert why["axis"] == "legal" and "surrender_not_ordered" not in rules(why)
    before = await case_as_of(entered_after_the_fact, CASE,
                              Question.legal(date(2026, 1, 19), zone=ZONE))
    assert types(before) == ["judicial.case_opened"]


async def test_the_timeline_can_be_read_in_either_order(
    entered_after_the_fact: AuditTarget,
) -> None:
    # An act dated before the transfer but entered after it: legal order and recorded order
    # disagree.
    database = Database(entered_after_the_fact.stores["judicial"], pool_size=1)
    try:
        await append(database, ManualClock(ENTERED), datetime(2026, 1, 23, tzinfo=UTC), 3,
                     "judicial.charges_amendment_noted", {
                         **AMENDMENT, "noted_at": OPENED.isoformat()}, OPENED)
    finally:
        await database.dispose()
    now = Question.recorded(zone=ZONE)
    by_legal = await case_as_of(entered_after_the_fact, CASE, now)
    assert by_legal["order"] == "legal"
    assert types(by_legal) == ["judicial.case_opened", "judicial.charges_amendment_noted",
                               AUTHORIZED]
    by_recorded = await case_as_of(entered_after_the_fact, CASE, now,
                                   order=TimelineOrder.RECORDED)
    assert types(by_recorded) == ["judicial.case_opened", AUTHORIZED,
                                  "judicial.charges_amendment_noted"]
    # On the 19th the amendment (dated the 10th, recorded after the transfer) counts and the
    # transfer (the 20th) does not, though it was recorded before it: judicial folds the two
    # dated events alone, and nothing of a later date is taken in.
    before = await case_as_of(entered_after_the_fact, CASE,
                              Question.legal(date(2026, 1, 19), zone=ZONE))
    assert types(before) == ["judicial.case_opened", "judicial.charges_amendment_noted"]
    assert before["rested_on"] == []
    assert before["state"]["judicial"]["status"] != by_legal["state"]["judicial"]["status"]


async def test_the_http_api_asks_on_either_axis_and_refuses_both_at_once(
    entered_after_the_fact: AuditTarget,
) -> None:
    transport = httpx.ASGITransport(app=create_audit_app(entered_after_the_fact))
    async with httpx.AsyncClient(transport=transport, base_url="http://audit",
                                 headers=service_headers("audit")) as http:
        knew = (await http.get(f"/cases/{CASE}/as-of",
                               params={"recorded": "2026-01-21T12:00:00Z"})).json()
        assert knew["axis"] == "recorded" and types(knew) == ["judicial.case_opened"]
        legal = (await http.get(f"/cases/{CASE}/as-of",
                                params={"legal_date": "2026-01-20", "order": "recorded"})).json()
        assert legal["axis"] == "legal" and legal["order"] == "recorded"
        assert types(legal) == ["judicial.case_opened", AUTHORIZED]
        why = (await http.get(f"/cases/{CASE}/explain",
                              params={"legal_date": "2026-01-20"})).json()
        assert why["axis"] == "legal" and "legal axis" in why["answer"]
        both = await http.get(f"/cases/{CASE}/explain",
                              params={"at": "2026-01-21T12:00:00Z", "legal_date": "2026-01-20"})
        assert both.status_code == 422 and "legal_date" in both.text
        assert (await http.get(f"/cases/{CASE}/as-of", params={"order": "alphabetical"})
                ).status_code == 422
        past_year_9999 = await http.get(f"/cases/{CASE}/as-of",
                                        params={"recorded": "9999-12-31T23:59:59-05:00"})
        assert past_year_9999.status_code == 422 and "recorded" in past_year_9999.text
        assert (await http.get(f"/cases/{CASE}/as-of", params={"legal_date": "2026-01-09"})
                ).status_code == 404


async def test_verify_finds_a_derived_event_s_cause_in_a_store_and_compares_legal_dates(
    any_db: Database,
) -> None:
    clock = ManualClock(OPENED)
    cause = await append(any_db, clock, OPENED, 1, "judicial.case_opened", {
        "case_id": CASE, "opened_at": OPENED.isoformat(), "legal_basis": "treaty",
        "requesting_district": "EDNY", "intake_event_id": "x"}, OPENED)
    # Derived from `cause` but stamped with the time it was noted, two weeks on.
    noted = await append(any_db, clock, ENTERED, 2, "judicial.charges_amendment_noted", {
        **AMENDMENT, "noted_at": ENTERED.isoformat()}, ENTERED,
        causation=str(cause.event_id))
    found, pending = check_stream([cause, noted], ZONE)
    assert found == [] and [p.cause_id for p in pending] == [str(cause.event_id)]
    causes = await occurrences(any_db.url, [p.cause_id for p in pending] + ["not-an-id"])
    assert causes == {str(cause.event_id): ("judicial.case_opened", OPENED)}
    [mismatch] = check_causes(pending, causes, ZONE)
    assert mismatch.event.event_id == noted.event_id
    assert "2026-01-10" in mismatch.detail and "2026-01-22" in mismatch.detail


async def test_verify_warns_about_an_event_stamped_with_its_entry_not_its_act(
    any_db: Database, kafka: str,
) -> None:
    clock = ManualClock(OPENED)
    await append(any_db, clock, OPENED, 1, "judicial.case_opened", {
        "case_id": CASE, "opened_at": OPENED.isoformat(), "legal_basis": "treaty",
        "requesting_district": "EDNY", "intake_event_id": "x"}, OPENED)
    # Ordered on the 20th, entered on the 22nd and stamped with the entry instant.
    stamped = await append(any_db, clock, ENTERED, 2, "judicial.surrender_ordered", {
        "case_id": CASE, "legal_basis": "treaty", "requesting_district": "EDNY",
        "ordered_on": "2026-01-20", "kind": "full", "pickup_days": 60,
        "pickup_deadline_on": "2026-03-21", "return_obligation": False,
        "granted_charge_ids": ["c1"]}, ENTERED)
    # No topic in this namespace: the events are "never published" errors; the legal-time
    # finding is a warning of its own.
    report = await verify(AuditTarget({"judicial": any_db.url}, kafka, fresh_namespace()))
    [warning] = report.warnings
    assert warning.event_id == str(stamped.event_id) and warning.severity == "warning"
    assert "ordered_on is 2026-01-20" in warning.problem
    assert "legal date 2026-01-22" in warning.problem
    assert warning not in report.errors
