"""The judicial service in-process on real Kafka, on SQLite and on PostgreSQL: intake's request
opens a case, clerks walk it through HTTP, the scheduler fires clocks (by hand and in the loop)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.judicial import timers as timer_table
from services.judicial.scheduler import run_due_timers
from shared.clock import ManualClock
from shared.legaltime import zone
from shared.service import ServiceRuntime
from tests.support.kafka_read import wait_for
from tests.support.people import as_v2
from tests.support.requests import request
from tests.support.service_app import feed, off_kafka
from tests.support.service_app import stored_with_topics as stored

START = datetime(2026, 1, 2, 12, tzinfo=UTC)
# The clocks run out at the start of a legal day in the legal time zone (LEGAL_TIMEZONE).
LEGAL = zone()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def intake_event(event_type: str, case_id: str, data: dict[str, Any],
                 schema_version: int = 1) -> Any:
    """An intake event as the consumer reads it off Kafka."""
    return off_kafka("intake", event_type, data, case_id, at=START,
                     schema_version=schema_version)


async def open_case(runtime: ServiceRuntime, basis: str = "treaty") -> str:
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    await feed(runtime, intake_event("intake.request_submitted", case_id,
                                     as_v2({"case_id": case_id, **request(basis=basis)}), 2))
    return case_id


async def post(client: httpx.AsyncClient, case_id: str, step: str,
               body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/cases/{case_id}/{step}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def rejected(client: httpx.AsyncClient, case_id: str, step: str,
                   body: dict[str, Any]) -> str:
    response = await client.post(f"/cases/{case_id}/{step}", json=body)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "rule_violation"
    rule: str = response.json()["rule"]
    return rule


def today(clock: ManualClock) -> str:
    return clock.now().date().isoformat()


async def walk_to_opinion(client: httpx.AsyncClient, clock: ManualClock, case_id: str) -> None:
    """Detained 2 Jan 2026, formal request 12 Jan, hearing 17 Jan, favourable opinion 11 Feb."""
    await post(client, case_id, "provisional-detention", {"ordered_on": today(clock)})
    clock.advance(timedelta(days=10))
    await post(client, case_id, "formal-request", {"received_on": today(clock)})
    clock.advance(timedelta(days=5))
    await post(client, case_id, "hearing", {"held_on": today(clock)})
    clock.advance(timedelta(days=25))
    await post(client, case_id, "judge-opinion", {"issued_on": today(clock), "favorable": True})


async def walk_to_grant(client: httpx.AsyncClient, clock: ManualClock, case_id: str) -> None:
    """walk_to_opinion, then the SRE's grant on 11 Feb (notified the same day: the amparo
    window's 30 business days end on 26 Mar)."""
    await walk_to_opinion(client, clock, case_id)
    result = await post(client, case_id, "sre-decision", {
        "decision": "granted", "decided_on": today(clock), "notified_on": today(clock)})
    assert result["status"] == "extradition_granted"


async def past_the_amparo_window(client: httpx.AsyncClient, runtime: ServiceRuntime,
                                 clock: ManualClock) -> str:
    """A treaty case granted on 11 Feb 2026 whose amparo window has closed (its timer fired on
    27 Mar, the clock left there): the surrender may now be ordered."""
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    clock.set(datetime(2026, 3, 27, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    return case_id


async def custody_transferred(runtime: ServiceRuntime, case_id: str, flight_id: str,
                              transferred_at: datetime) -> None:
    """Transport's custody transfer of the person, as judicial's consumer reads it."""
    await feed(runtime, off_kafka("transport", "transport.custody_transferred", {
        "case_id": case_id, "flight_id": flight_id, "transferred_at": transferred_at.isoformat(),
        "place": "Toluca", "mexican_officer": "FGR-1", "us_marshal": "USMS-1"}, case_id,
        at=transferred_at))


async def timers(runtime: ServiceRuntime, case_id: str) -> dict[str, str]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT kind, fired_at, cancelled_at FROM judicial_timers WHERE case_id = :c"),
            {"c": case_id})
        return {row.kind: "fired" if row.fired_at else "cancelled" if row.cancelled_at
                else "pending" for row in rows}


async def test_intake_request_opens_the_case_once_and_amendments_are_noted(
    client: httpx.AsyncClient, runtime: ServiceRuntime,
) -> None:
    case_id = await open_case(runtime, "simplified")
    # Redelivered under another event id, even as a legacy v1 (the person in clear): still
    # one case.
    await feed(runtime, intake_event("intake.request_submitted", case_id,
                                     {"case_id": case_id, **request(basis="simplified")}))
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["status"], shown["legal_basis"], shown["version"]) == (
        "opened", "simplified", 1)
    async with runtime.database.connect() as conn:
        opened = json.loads(await conn.scalar(sa.text(
            "SELECT payload FROM events WHERE stream_id = :c AND "
            "event_type = 'judicial.case_opened'"), {"c": case_id}))
    # Judicial names the person by id only: no name of theirs enters its log.
    assert opened["person_id"].startswith("PER-") and opened["person_name"] is None
    assert shown["charge_ids"] == ["c1"] and shown["requesting_district"] == "EDNY"

    # A superseding indictment entered days later (judicial's clock: 2 Jan 12:00) is noted at
    # its legal time, as its cause is dated, not when judicial heard of it.
    indicted = START - timedelta(hours=6)
    await feed(runtime, off_kafka("intake", "intake.charges_amended", {
        "case_id": case_id, "charges": [{"charge_id": "c1"}, {"charge_id": "c9"}],
        "reason": "superseding indictment", "amended_on": "2026-01-02"}, case_id, at=indicted))
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["charge_ids"] == ["c1", "c9"]
    assert [s["step"] for s in shown["steps"]] == ["case_opened", "charges_amendment_noted"]
    async with runtime.database.connect() as conn:
        [noted] = [e for e in await runtime.store.read_stream(conn, case_id)
                   if e.event_type == "judicial.charges_amendment_noted"]
    assert noted.occurred_at == indicted


async def test_a_treaty_case_walks_to_surrender_ordered(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    assert await rejected(client, case_id, "surrender-order",
                          {"ordered_on": today(clock)}) == "amparo_window_open"
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["clocks"] == [{"kind": "amparo_window", "started_on": "2026-02-11",
                                "due_on": "2026-03-27", "days": 30,
                                "day_counting": "business", "enforced": True}]

    # 30 business days from the day after the notification (Wed 11 Feb; Mon 16 Mar is a
    # holiday): the last is Thu 26 Mar, and the window is closed from the 27th.
    clock.set(datetime(2026, 3, 26, 23, 59, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    clock.set(datetime(2026, 3, 27, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    result = await post(client, case_id, "surrender-order",
                        {"ordered_on": "2026-03-27", "kind": "full"})
    assert result["status"] == "surrender_ordered"

    shown = (await client.get(f"/cases/{case_id}")).json()
    # 60 calendar days from the day after the order: 28 Mar to 26 May, closed from 27 May.
    assert shown["surrender"]["pickup_deadline_on"] == "2026-05-27"
    assert [c["kind"] for c in shown["clocks"]] == ["pickup_window"]
    listed = (await client.get("/cases", params={"status": "surrender_ordered"})).json()
    assert case_id in {c["case_id"] for c in listed["cases"]}
    assert await timers(runtime, case_id) == {"provisional_detention": "cancelled",
                                              "amparo_window": "fired",
                                              "pickup_window": "pending"}
    recorded = await stored(runtime, case_id)
    assert [t for t, _ in recorded] == [
        "judicial.case_opened", "judicial.provisional_detention_ordered",
        "judicial.formal_request_received", "judicial.hearing_held",
        "judicial.judge_opinion_issued", "judicial.sre_extradition_granted",
        "judicial.amparo_window_closed", "judicial.surrender_ordered"]
    assert {topic for _, topic in recorded} == {runtime.events_topic}
    assert runtime.events_topic.endswith("runway.judicial.events")


async def test_the_pickup_window_counts_from_a_later_placement_at_the_us_disposal(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    """Ordered 27 Mar, the person placed at the US's disposal on 2 Apr (LEI art. 35): the
    60 days run 3 Apr to 1 Jun, closed from 2 Jun. A placement dated before the order is a
    409 naming the field, and writes nothing."""
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    clock.set(datetime(2026, 4, 2, 12, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the amparo window, closed since 27 Mar
    before = len(await stored(runtime, case_id))
    response = await client.post(f"/cases/{case_id}/surrender-order", json={
        "ordered_on": "2026-03-27", "placed_at_disposal_on": "2026-03-26"})
    assert response.status_code == 409, response.text
    assert response.json()["rule"] == "date_out_of_order"
    assert "placed_at_disposal_on" in response.json()["detail"]
    assert len(await stored(runtime, case_id)) == before

    await post(client, case_id, "surrender-order",
               {"ordered_on": "2026-03-27", "placed_at_disposal_on": "2026-04-02"})
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["surrender"]["pickup_deadline_on"] == "2026-06-02"
    assert [(c["kind"], c["started_on"], c["due_on"]) for c in shown["clocks"]] == [
        ("pickup_window", "2026-04-02", "2026-06-02")]


async def test_a_placement_recorded_after_the_order_moves_the_pickup_timer(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    """Ordered 27 Mar with no placement (the window would close from 27 May); the person is
    placed at the US's disposal on 2 Apr, which the clerk first records as 29 Mar: a second
    placement is a 409, a correction with its reason is taken. The timer now fires on 2 Jun,
    not on 27 May or 29 May."""
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    clock.set(datetime(2026, 4, 2, 12, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the amparo window, closed since 27 Mar
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-03-27"})
    await post(client, case_id, "placement-at-disposal", {"placed_on": "2026-03-29"})
    assert await rejected(client, case_id, "placement-at-disposal",
                          {"placed_on": "2026-04-02"}) == "placement_already_recorded"
    await post(client, case_id, "placement-at-disposal",
               {"placed_on": "2026-04-02", "correction_reason": "the SRE's note is of 2 Apr"})
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["surrender"]["placed_at_disposal_on"],
            shown["surrender"]["pickup_deadline_on"]) == ("2026-04-02", "2026-06-02")
    corrected = await surrender_payload(runtime, case_id, "judicial.placed_at_disposal")
    assert (corrected["corrects_placed_on"], corrected["correction_reason"]) == (
        "2026-03-29", "the SRE's note is of 2 Apr")

    clock.set(datetime(2026, 5, 29, 12, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    clock.set(datetime(2026, 6, 2, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    assert [t for t, _ in await stored(runtime, case_id)][-4:] == [
        "judicial.placed_at_disposal", "judicial.placed_at_disposal",
        "judicial.pickup_window_expired", "judicial.released_from_custody"]


async def test_sre_before_the_opinion_is_a_409_and_writes_nothing(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await post(client, case_id, "formal-request", {"received_on": today(clock)})
    await post(client, case_id, "hearing", {"held_on": today(clock)})
    rule = await rejected(client, case_id, "sre-decision", {
        "decision": "granted", "decided_on": today(clock), "notified_on": today(clock)})
    assert rule == "sre_requires_judge_opinion"
    assert len(await stored(runtime, case_id)) == 3
    assert (await client.get(f"/cases/{case_id}")).json()["status"] == "hearing"


async def test_surrender_during_an_amparo_suspension_is_a_409(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    clock.advance(timedelta(days=3))
    await post(client, case_id, "amparo", {"amparo_id": "AR-118/2026", "filed_on": today(clock)})
    granted = await post(client, case_id, "amparo-suspension",
                         {"amparo_id": "AR-118/2026", "granted_on": today(clock)})
    assert granted["events"] == [{"event_type": "judicial.amparo_suspension_granted",
                                  "version": 8}]
    assert await rejected(client, case_id, "surrender-order",
                          {"ordered_on": today(clock)}) == "amparo_suspension_active"
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["active_suspensions"] == ["AR-118/2026"]
    assert shown["status"] == "amparo_pending"

    await post(client, case_id, "amparo-ruling",
               {"amparo_id": "AR-118/2026", "outcome": "denied", "ruled_on": today(clock)})
    # Denied inside the window: the suspension holds until the denial is final, the window
    # (to 26 Mar) blocks surrender too, and its timer was not cancelled by the suit.
    refused = await client.post(f"/cases/{case_id}/surrender-order",
                                json={"ordered_on": today(clock)})
    assert refused.status_code == 409
    assert refused.json()["rule"] == "amparo_suspension_active"
    assert "amparo_window_open" in refused.json()["detail"]
    assert await timers(runtime, case_id) == {"provisional_detention": "cancelled",
                                              "amparo_window": "pending",
                                              "amparo_appeal_period": "pending"}
    clock.set(datetime(2026, 3, 27, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 2  # the appeal period, then the window
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["active_suspensions"] == [] and shown["clocks"] == []
    ordered = await post(client, case_id, "surrender-order", {"ordered_on": today(clock)})
    assert ordered["status"] == "surrender_ordered"


async def test_surrender_waits_for_the_amparo_appeal_and_a_granted_amparo_reopens_the_sre(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    """Denied, appealed, appeal decided against the person: only then the order. A second
    case's amparo is granted: nobody is released, and the SRE decides again once it is final."""
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    await post(client, case_id, "amparo", {"amparo_id": "AR-1", "filed_on": today(clock)})
    clock.set(datetime(2026, 4, 1, 9, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the window closed on 27 Mar
    await post(client, case_id, "amparo-ruling",
               {"amparo_id": "AR-1", "outcome": "denied", "ruled_on": "2026-04-01"})
    await post(client, case_id, "amparo-appeal",
               {"amparo_id": "AR-1", "filed_on": "2026-04-01", "appellant": "complainant"})
    clock.set(datetime(2026, 5, 4, 9, tzinfo=LEGAL))
    assert await rejected(client, case_id, "surrender-order",
                          {"ordered_on": today(clock)}) == "amparo_not_final"
    await post(client, case_id, "amparo-appeal-ruling",
               {"amparo_id": "AR-1", "decided_on": today(clock), "outcome": "denied"})
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["surrender_blocked_by"] == []
    assert shown["amparos"][0]["final"] is True
    assert (await post(client, case_id, "surrender-order",
                       {"ordered_on": today(clock)}))["status"] == "surrender_ordered"

    other = await open_case(runtime)
    clock.set(datetime(2026, 1, 2, 9, tzinfo=LEGAL))
    await walk_to_grant(client, clock, other)
    await post(client, other, "amparo", {"amparo_id": "AR-2", "filed_on": today(clock)})
    clock.set(datetime(2026, 2, 20, 9, tzinfo=LEGAL))
    await post(client, other, "amparo-ruling",
               {"amparo_id": "AR-2", "outcome": "granted", "ruled_on": today(clock)})
    clock.set(datetime(2026, 3, 28, 9, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the first window closes; nobody is released
    shown = (await client.get(f"/cases/{other}")).json()
    assert shown["released"] is None and "amparo_granted" in shown["surrender_blocked_by"]
    again = await post(client, other, "sre-decision", {
        "decision": "granted", "decided_on": today(clock), "notified_on": today(clock)})
    assert again["status"] == "extradition_granted"
    shown = (await client.get(f"/cases/{other}")).json()
    assert shown["amparos"] == [] and shown["sre_decision"]["decided_on"] == "2026-03-28"
    # The new decision's window has its own timer again (the first one had fired).
    assert (await timers(runtime, other))["amparo_window"] == "pending"
    assert [c["started_on"] for c in shown["clocks"]] == ["2026-03-28"]


async def test_the_custody_transfer_stops_the_clocks_and_is_dated_by_its_legal_instant(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await past_the_amparo_window(client, runtime, clock)
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-03-27"})
    # Handed over at 23:30 in Mexico City on 20 Apr (05:30 UTC on the 21st); transport's
    # event reaches judicial weeks later, after the pickup deadline (27 May).
    transferred_at = datetime(2026, 4, 21, 5, 30, tzinfo=UTC)
    clock.set(datetime(2026, 6, 15, tzinfo=LEGAL))
    await custody_transferred(runtime, case_id, "F-7", transferred_at)
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["status"] == "surrendered" and shown["handed_over_on"] == "2026-04-20"
    assert shown["clocks"] == [] and shown["released"] is None
    assert await run_due_timers(runtime) == 0
    assert (await timers(runtime, case_id))["pickup_window"] == "cancelled"
    assert [t for t, _ in await stored(runtime, case_id)][-1] == "judicial.handed_over"
    assert await rejected(client, case_id, "amparo", {"amparo_id": "AR-9",
                                                      "filed_on": today(clock)}) \
        == "person_handed_over"


async def test_an_order_entered_after_its_window_closed_waits_for_the_handover_entered_next(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    """Issue 13: an order typed in after its pickup window had closed in law must not fire
    the expiry (and a release) before the handover, typed in next, can stop it: the clock
    waits JUDICIAL_BACKFILL_GRACE_HOURS (72) after it was recorded."""
    case_id = await past_the_amparo_window(client, runtime, clock)
    clock.set(datetime(2026, 9, 1, 9, tzinfo=LEGAL))  # the clerk enters it all in September
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-03-27"})
    assert await run_due_timers(runtime) == 0  # overdue since 27 May, but just recorded
    handed = datetime(2026, 4, 20, 15, tzinfo=LEGAL)
    clock.advance(timedelta(hours=2))
    await custody_transferred(runtime, case_id, "F-8", handed)
    clock.advance(timedelta(hours=80))
    assert await run_due_timers(runtime) == 0
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["status"], shown["released"]) == ("surrendered", None)


async def test_an_overdue_order_entered_late_and_never_collected_expires_after_the_grace(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await past_the_amparo_window(client, runtime, clock)
    clock.set(datetime(2026, 9, 1, 9, tzinfo=LEGAL))
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-03-27"})
    clock.advance(timedelta(hours=71))
    assert await run_due_timers(runtime) == 0
    clock.advance(timedelta(hours=2))
    assert await run_due_timers(runtime) == 1
    released = (await client.get(f"/cases/{case_id}")).json()["released"]
    assert released == {"released_on": "2026-05-27", "reason": "pickup_window_expired"}


async def surrender_payload(runtime: ServiceRuntime, case_id: str,
                            event_type: str = "judicial.surrender_ordered") -> dict[str, Any]:
    """The payload of the case's last event of `event_type` (by default its surrender order)."""
    async with runtime.database.connect() as conn:
        payload = await conn.scalar(sa.text(
            "SELECT payload FROM events WHERE stream_id = :c AND event_type = :t "
            "ORDER BY version DESC LIMIT 1"), {"c": case_id, "t": event_type})
    found: dict[str, Any] = json.loads(payload)
    return found


async def test_a_suspension_after_the_order_pauses_the_pickup_timer_and_a_count_added_after_the_grant_is_not_surrendered(  # noqa: E501
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    await feed(runtime, intake_event("intake.charges_amended", case_id, {
        "case_id": case_id, "charges": [{"charge_id": "c1"}, {"charge_id": "c9"}],
        "reason": "superseding indictment"}))
    clock.set(datetime(2026, 3, 27, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-03-27"})
    assert (await surrender_payload(runtime, case_id))["granted_charge_ids"] == ["c1"]

    # Pickup closes on 27 May; a suspension on 1 Apr against the execution pauses it.
    clock.set(datetime(2026, 4, 1, 9, tzinfo=LEGAL))
    await post(client, case_id, "amparo", {"amparo_id": "AR-7", "filed_on": "2026-04-01"})
    await post(client, case_id, "amparo-suspension",
               {"amparo_id": "AR-7", "granted_on": "2026-04-01"})
    assert (await timers(runtime, case_id))["pickup_window"] == "cancelled"
    clock.set(datetime(2026, 6, 1, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["status"] == "amparo_pending"
    assert shown["surrender"]["pickup_paused_since"] == "2026-04-01"

    # Denied Mon 1 Jun: the suspension holds while the denial can be appealed (to 15 Jun),
    # and the scheduler lifts it on 16 Jun, after 76 days: the closing moves from 27 May to
    # 11 Aug.
    await post(client, case_id, "amparo-ruling",
               {"amparo_id": "AR-7", "outcome": "denied", "ruled_on": "2026-06-01"})
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["surrender"]["pickup_paused_since"] == "2026-04-01"
    assert await timers(runtime, case_id) == {"provisional_detention": "cancelled",
                                              "amparo_window": "fired",
                                              "pickup_window": "cancelled",
                                              "amparo_appeal_period": "pending"}
    clock.set(datetime(2026, 6, 15, 23, 59, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    clock.set(datetime(2026, 6, 16, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["active_suspensions"] == []
    assert shown["surrender"]["pickup_deadline_on"] == "2026-08-11"
    assert (await timers(runtime, case_id))["pickup_window"] == "pending"
    clock.set(datetime(2026, 8, 10, 23, 59, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    clock.set(datetime(2026, 8, 11, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["released"] == {"released_on": "2026-08-11",
                                 "reason": "pickup_window_expired"}


async def test_a_failing_timer_is_recorded_and_does_not_block_later_deadlines(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await post(client, case_id, "provisional-detention", {"ordered_on": "2026-01-02"})
    # A poison timer, due before the real one, whose handling raises (unknown clock kind).
    async with runtime.database.transaction() as conn:
        await conn.execute(sa.text(
            "INSERT INTO judicial_timers (case_id, kind, due_at, created_at) "
            "VALUES ('RWY-POISON', 'no_such_clock', :due, :due)"),
            {"due": datetime(2026, 1, 3, tzinfo=LEGAL)})
    clock.set(datetime(2026, 3, 3, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the real deadline still fired
    assert (await client.get(f"/cases/{case_id}")).json()["provisional_detention_lapsed"]

    async def poison() -> Any:
        # Through the table's own column types: SQLite hands a raw SELECT's instants back as
        # text, the service reads them as UTC-aware datetimes.
        t = timer_table.timers
        async with runtime.database.connect() as conn:
            return (await conn.execute(
                sa.select(t.c.failures, t.c.last_error, t.c.retry_at, t.c.fired_at,
                          t.c.cancelled_at).where(t.c.kind == "no_such_clock"))).one()

    row = await poison()
    assert row.failures == 1 and "no_such_clock" in row.last_error
    assert row.retry_at == datetime(2026, 3, 3, 0, 0, 30, tzinfo=LEGAL)
    assert (row.fired_at, row.cancelled_at) == (None, None)
    assert await run_due_timers(runtime) == 0  # held back: not retried before retry_at
    assert (await poison()).failures == 1
    clock.set(datetime(2026, 3, 3, 0, 0, 30, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 0
    row = await poison()
    assert row.failures == 2
    assert row.retry_at == datetime(2026, 3, 3, 0, 1, 30, tzinfo=LEGAL)  # backs off: 1 min


async def test_the_national_security_path(client: httpx.AsyncClient,
                                          runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime, "national_security")
    assert await rejected(client, case_id, "judge-opinion", {
        "issued_on": "2026-01-01", "favorable": True}) == "national_security_has_no_judicial_steps"
    result = await post(client, case_id, "national-security-transfer", {
        "authorized_at": "2026-01-02T09:30:00Z", "us_request_reference": "DOJ-OIA-NS-12",
        "authority": "Consejo de Seguridad Nacional"})
    assert result["status"] == "transfer_authorized"
    treaty_case = await open_case(runtime, "treaty")
    assert await rejected(client, treaty_case, "national-security-transfer", {
        "authorized_at": "2026-01-02T09:30:00Z", "us_request_reference": "R",
        "authority": "x"}) == "basis_mismatch"


async def test_an_unknown_case_is_a_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/cases/RWY-NOPE")).status_code == 404
    response = await client.post("/cases/RWY-NOPE/hearing", json={"held_on": "2026-01-01"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_a_bad_body_is_a_422_naming_the_field(client: httpx.AsyncClient,
                                                    runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime)

    async def fields(step: str, body: dict[str, Any]) -> set[tuple[str, ...]]:
        response = await client.post(f"/cases/{case_id}/{step}", json=body)
        assert response.status_code == 422, response.text
        return {tuple(e["loc"]) for e in response.json()["detail"]}

    assert await fields("hearing", {"held_on": "soon"}) == {("body", "held_on")}
    assert await fields("judge-opinion", {"issued_on": "2026-01-01", "favorable": "yes"}) \
        == {("body", "favorable")}
    assert await fields("sre-decision", {"decision": "granted", "decided_on": "2026-01-05",
                                         "notified_on": "2026-01-04"}) \
        == {("body", "notified_on")}
    assert await fields("surrender-order", {"ordered_on": "2026-01-05", "kind": "deferred"}) \
        == {("body", "reason")}
    assert await fields("surrender-order", {
        "ordered_on": "2026-01-05", "kind": "deferred", "reason": "a Mexican trial",
        "placed_at_disposal_on": "2026-01-05"}) == {("body", "placed_at_disposal_on")}
    assert ("body", "surprise") in await fields("formal-request", {
        "received_on": "2026-01-01", "surprise": 1})
    listing = await client.get("/cases", params={"status": "nonsense"})
    assert listing.status_code == 422
    assert listing.json()["detail"][0]["loc"] == ["query", "status"]


async def test_provisional_detention_lapses_on_day_60_via_run_due_timers(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await post(client, case_id, "provisional-detention", {"ordered_on": "2026-01-02"})
    clock.set(datetime(2026, 3, 2, 23, 59, 59, tzinfo=LEGAL))  # day 59
    assert await run_due_timers(runtime) == 0
    clock.set(datetime(2026, 3, 3, tzinfo=LEGAL))  # day 60
    assert await run_due_timers(runtime) == 1
    assert await run_due_timers(runtime) == 0

    shown = (await client.get(f"/cases/{case_id}")).json()
    # Issue 14: released from the provisional detention, but the case stays open.
    assert shown["status"] == "provisional_detention" and shown["released"] is None
    assert shown["provisional_detention_lapsed"] is True
    assert shown["clocks"] == []
    assert [t for t, _ in await stored(runtime, case_id)][-2:] == [
        "judicial.provisional_detention_lapsed", "judicial.released_from_custody"]
    later = await post(client, case_id, "formal-request", {"received_on": "2026-03-03"})
    assert later["status"] == "formal_request_received"
    async with runtime.database.connect() as conn:
        actor = await conn.scalar(sa.text(
            "SELECT actor_subject FROM events WHERE stream_id = :c "
            "AND event_type = 'judicial.provisional_detention_lapsed'"), {"c": case_id})
    assert actor == "system:judicial.scheduler"


async def test_the_background_scheduler_fires_a_due_timer(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    case_id = await open_case(runtime)
    await post(client, case_id, "provisional-detention", {"ordered_on": "2026-01-02"})
    await runtime.start_background()
    try:
        clock.set(datetime(2026, 3, 3, tzinfo=LEGAL))
        async def released() -> bool:
            shown = (await client.get(f"/cases/{case_id}")).json()
            return bool(shown["provisional_detention_lapsed"])

        await wait_for(released, timeout=20, what="the scheduler loop firing the due timer")
        assert runtime.background_failures() == []
    finally:
        await runtime.stop_background()
    assert await timers(runtime, case_id) == {"provisional_detention": "fired"}


async def test_a_stale_if_match_version_is_a_409_and_writes_nothing(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    case_id = await open_case(runtime)
    before = await stored(runtime, case_id)
    stale = await client.post(f"/cases/{case_id}/formal-request",
                              json={"received_on": today(clock)}, headers={"If-Match": "0"})
    assert stale.status_code == 409
    assert stale.json()["error"] == "concurrency_conflict"
    assert stale.json()["actual_version"] == len(before)
    assert await stored(runtime, case_id) == before
    current = await client.post(f"/cases/{case_id}/formal-request",
                                json={"received_on": today(clock)},
                                headers={"If-Match": str(len(before))})
    assert current.status_code == 200
    bad = await client.post(f"/cases/{case_id}/hearing", json={"held_on": today(clock)},
                            headers={"If-Match": "latest"})
    assert bad.status_code == 422


async def test_a_denial_typed_in_after_the_same_days_appeal_period_fired_still_lifts_its_suspension(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock,
) -> None:
    """Two suits with suspensions, both denied on Wed 1 Apr (final from Thu 16 Apr). AR-1's
    denial is entered that day and its appeal period's timer fires on the 16th; AR-2's is
    typed in afterwards. Its period closes the same day: the timer is armed again, waits the
    backfill grace (an appeal filed in time may still be typed in), then lifts it."""
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)
    for suit in ("AR-1", "AR-2"):
        await post(client, case_id, "amparo", {"amparo_id": suit, "filed_on": today(clock)})
        await post(client, case_id, "amparo-suspension",
                   {"amparo_id": suit, "granted_on": today(clock)})
    clock.set(datetime(2026, 4, 1, 9, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1  # the amparo window
    denial = {"outcome": "denied", "ruled_on": "2026-04-01"}
    await post(client, case_id, "amparo-ruling", {"amparo_id": "AR-1", **denial})
    clock.set(datetime(2026, 4, 16, 9, tzinfo=LEGAL))
    assert await run_due_timers(runtime) == 1
    assert (await client.get(f"/cases/{case_id}")).json()["active_suspensions"] == ["AR-2"]

    await post(client, case_id, "amparo-ruling", {"amparo_id": "AR-2", **denial})
    assert (await timers(runtime, case_id))["amparo_appeal_period"] == "pending"
    clock.advance(timedelta(hours=71))
    assert await run_due_timers(runtime) == 0
    clock.advance(timedelta(hours=2))
    assert await run_due_timers(runtime) == 1
    async with runtime.database.connect() as conn:
        lifted = (await conn.execute(sa.text(
            "SELECT payload FROM events WHERE stream_id = :c "
            "AND event_type = 'judicial.amparo_suspension_lifted' ORDER BY version"),
            {"c": case_id})).scalars().all()
    assert [json.loads(p)["amparo_id"] for p in lifted] == ["AR-1", "AR-2"]
