"""From surrender to the courtroom: all five services as real processes on real Kafka and
PostgreSQL. The 26-person flight of August 2025, checked against the events on Kafka."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from shared.demo import august_2025
from shared.demo.api import Api, ApiError
from shared.demo.defendants import NATIONAL_SECURITY
from shared.demo.scenarios import AUG_2025
from shared.legaltime import legal_date
from shared.messaging.cloudevents import ConsumedEvent, from_kafka
from shared.retry import poll
from shared.topology import SERVICES
from tests.support.journeys import national_security_authorised
from tests.support.kafka_read import read_topic, wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

AIRPORT_OF = {"EDNY": "JFK", "SDNY": "JFK", "CDCA": "LAX", "SDCA": "SAN", "WDTX": "SAT",
              "SDTX": "IAH", "NDIL": "ORD", "DDC": "IAD"}


stack = stack_fixture(SERVICES, env={"SCHEDULER_INTERVAL_S": "0.2"})


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    client = Api({name: stack.url(name) for name in SERVICES})
    yield client
    await client.close()


async def events_on_kafka(stack: Stack, service: str) -> list[ConsumedEvent]:
    records = await read_topic(stack.kafka, f"{stack.namespace}.runway.{service}.events")
    return [from_kafka(list(r.headers), r.value) for r in records]


@pytest.fixture(scope="module")
async def flight_of_26(stack: Stack) -> list[august_2025.Person]:
    lines: list[str] = []
    # Played live (the flight today): this file is about the path from surrender to the
    # courtroom; tests/e2e/test_scenarios.py enters the real transfers after the fact.
    people = await august_2025.run({name: stack.url(name) for name in SERVICES},
                                   say=lines.append, scenario=AUG_2025.live())
    return people


async def test_exactly_the_eligible_fly_each_to_their_city_and_all_get_intake(
    stack: Stack, flight_of_26: list[august_2025.Person]
) -> None:
    flew = {p.case_id: p for p in flight_of_26 if p.landed}
    stayed = {p.defendant.name: p.held_by for p in flight_of_26 if not p.landed}
    assert len(flew) == 24
    assert stayed == {"Yahir Cortés Bravo": ["death_penalty_clearance_missing"],
                      "Zacarías Molina Fierro": ["amparo_suspension_active"]}

    landed = {e.data["case_id"]: e for e in await events_on_kafka(stack, "transport")
              if e.event_type == "transport.person_landed"}
    assert set(landed) == set(flew)
    for case_id, person in flew.items():
        assert landed[case_id].data["airport"] == AIRPORT_OF[person.defendant.district]

    async def court_intakes() -> dict[str, Any] | None:
        # The court answered the demo from its store; its relay may publish a moment later.
        found = {e.data["case_id"]: e for e in await events_on_kafka(stack, "court")
                 if e.event_type == "court.intake_opened"}
        return found if set(found) >= set(flew) else None

    opened = await poll(court_intakes, within=60, every=0.5,
                        what="court.intake_opened on Kafka for everyone who landed")
    assert set(opened) == set(flew)
    assert all(opened[c].data["district"] == flew[c].defendant.district for c in flew)
    ns = [c for c, p in flew.items() if p.defendant.path == NATIONAL_SECURITY]
    assert all(opened[c].data["specialty_defence_available"] is False for c in ns)


async def test_nobody_without_clearance_was_ever_on_a_manifest_by_the_kafka_record(
    stack: Stack, flight_of_26: list[august_2025.Person]
) -> None:
    clearance: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for event in await events_on_kafka(stack, "assurance"):
        if event.event_type == "assurance.death_penalty_clearance_granted":
            clearance[event.data["case_id"]].append((event.recorded_at, True))
        elif event.event_type == "assurance.death_penalty_clearance_withdrawn":
            clearance[event.data["case_id"]].append((event.recorded_at, False))
    authorised: dict[str, datetime] = {}
    for event in await events_on_kafka(stack, "judicial"):
        if event.event_type in ("judicial.surrender_ordered",
                                "judicial.national_security_transfer_authorized"):
            authorised.setdefault(event.data["case_id"], event.recorded_at)

    assignments = [e for e in await events_on_kafka(stack, "transport")
                   if e.event_type == "transport.manifest_assigned"]
    assert len(assignments) >= 24
    for assigned in assignments:
        case_id, at = assigned.data["case_id"], assigned.recorded_at
        history = sorted(h for h in clearance[case_id] if h[0] <= at)
        assert history and history[-1][1], f"{case_id} was put on a manifest without clearance"
        assert authorised[case_id] <= at, f"{case_id} was put on a manifest before surrender"
    held = {p.case_id for p in flight_of_26 if not p.landed}
    assert not held & {a.data["case_id"] for a in assignments}


async def eligible_case(api: Api, stack: Stack, **overrides: Any) -> str:
    """A national-security case, authorised and cleared, that transport may fly."""
    case_id = await national_security_authorised(api, **overrides)
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: bool(c["eligibility"]["eligible"]), "eligible")
    return case_id


async def schedule(api: Api, airport: str = "JFK") -> str:
    flight = await api.post("transport", "/flights", {
        "aircraft": "JPATS N-9", "capacity": 10, "departure_base": "Toluca",
        "scheduled_departure": (datetime.now(UTC) + timedelta(hours=3)).isoformat(),
        "stops": [airport]})
    return str(flight["flight_id"])


async def sre_granted(api: Api, day: date, **overrides: Any) -> str:
    """A treaty request (`overrides` go to its body) through the formal request, hearing,
    opinion and the SRE's grant, notified 71 days before `day`; its case id."""
    created = await api.post("intake", "/cases", request(**overrides))
    case_id = str(created["case_id"])
    await api.wait("judicial", f"/cases/{case_id}", lambda _c: True, "judicial opened")
    for step, body in (("formal-request", {"received_on": str(day - timedelta(days=80))}),
                       ("hearing", {"held_on": str(day - timedelta(days=78))}),
                       ("judge-opinion", {"issued_on": str(day - timedelta(days=75)),
                                          "favorable": True}),
                       ("sre-decision", {"decision": "granted",
                                         "decided_on": str(day - timedelta(days=72)),
                                         "notified_on": str(day - timedelta(days=71))})):
        await api.post("judicial", f"/cases/{case_id}/{step}", body)
    return case_id


async def test_a_suspension_after_assignment_takes_the_person_off_the_manifest(
    api: Api, stack: Stack
) -> None:
    day = legal_date(datetime.now(UTC))
    case_id = await sre_granted(api, day, given="Late", family="Amparo")
    for step, body in (("amparo", {"amparo_id": "AMP-7",
                                   "filed_on": str(day - timedelta(days=35))}),
                       ("amparo-ruling", {"amparo_id": "AMP-7", "outcome": "denied",
                                          "ruled_on": str(day - timedelta(days=25))}),
                       ("surrender-order", {"ordered_on": str(day), "kind": "full"})):
        await api.post("judicial", f"/cases/{case_id}/{step}", body)
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: bool(c["eligibility"]["eligible"]), "eligible")
    flight_id = await schedule(api)
    await api.post("transport", f"/flights/{flight_id}/manifest", {"case_id": case_id})

    await api.post("judicial", f"/cases/{case_id}/amparo", {
        "amparo_id": "AMP-8", "filed_on": str(day)})  # against the surrender's execution
    await api.post("judicial", f"/cases/{case_id}/amparo-suspension",
                   {"amparo_id": "AMP-8", "granted_on": str(day)})

    flight = await api.wait("transport", f"/flights/{flight_id}",
                            lambda f: not f["manifest"], "taken off the manifest")
    assert [r["case_id"] for r in flight["removed"]] == [case_id]
    assert flight["removed"][0]["reason"] == "amparo_suspension_active"
    view = await api.get("transport", f"/cases/{case_id}")
    assert view is not None
    assert "amparo_suspension_active" in view["eligibility"]["failing_rules"]
    with pytest.raises(ApiError) as refused:
        await api.post("transport", f"/flights/{flight_id}/manifest", {"case_id": case_id})
    assert refused.value.status == 409


async def test_a_denied_suspension_holds_the_person_until_the_denial_is_final(
    api: Api, stack: Stack
) -> None:
    """An amparo against the surrender's execution, its suspension granted, then denied: the
    person stays off flights while the denial can be appealed; the appeal decided against
    them lifts it (Amparo Law arts. 81, 86). A second suit's suspension, granted after the
    denial, is the point at which transport has surely read the denial (one case's events
    arrive in order)."""
    day = legal_date(datetime.now(UTC))
    case_id = await sre_granted(api, day, given="Held", family="Until Final")
    await api.post("judicial", f"/cases/{case_id}/surrender-order",
                   {"ordered_on": str(day), "kind": "full"})
    steps = (("amparo", {"amparo_id": "AMP-9", "filed_on": str(day)}),
             ("amparo-suspension", {"amparo_id": "AMP-9", "granted_on": str(day)}),
             ("amparo-ruling", {"amparo_id": "AMP-9", "outcome": "denied",
                                "ruled_on": str(day)}),
             ("amparo", {"amparo_id": "AMP-10", "filed_on": str(day)}),
             ("amparo-suspension", {"amparo_id": "AMP-10", "granted_on": str(day)}))
    for step, body in steps:
        await api.post("judicial", f"/cases/{case_id}/{step}", body)
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: c["facts"]["active_suspensions"] == ["AMP-10", "AMP-9"],
                   "both suspensions holding after the first-instance denial")

    await api.post("judicial", f"/cases/{case_id}/amparo-appeal",
                   {"amparo_id": "AMP-9", "filed_on": str(day), "appellant": "complainant"})
    await api.post("judicial", f"/cases/{case_id}/amparo-appeal-ruling",
                   {"amparo_id": "AMP-9", "decided_on": str(day), "outcome": "denied"})
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: c["facts"]["active_suspensions"] == ["AMP-10"],
                   "AMP-9's suspension lifted by the final denial")


async def test_a_grant_against_the_order_holds_the_person_until_reversed_on_appeal(
    api: Api, stack: Stack
) -> None:
    """An amparo granted against the surrender order's execution holds the person (the order
    is annulled unless the grant is reversed); the appeal reverses it, and transport may fly
    the person again, by a pickup deadline moved by the days the grant held the order."""
    day = legal_date(datetime.now(UTC))
    two_days_ago, yesterday = str(day - timedelta(days=2)), str(day - timedelta(days=1))
    case_id = await sre_granted(api, day, given="Granted", family="Then Reversed")
    for step, body in (("surrender-order", {"ordered_on": two_days_ago, "kind": "full"}),
                       ("amparo", {"amparo_id": "AMP-11", "filed_on": two_days_ago}),
                       ("amparo-ruling", {"amparo_id": "AMP-11", "outcome": "granted",
                                          "ruled_on": yesterday})):
        await api.post("judicial", f"/cases/{case_id}/{step}", body)
    held = await api.wait("transport", f"/cases/{case_id}",
                          lambda c: (c["facts"]["surrender"] or {}).get("annulled_by_amparo")
                          == "AMP-11",
                          "the order held by the grant")
    assert held["eligibility"]["failing_rules"] == ["surrender_not_ordered"]

    await api.post("judicial", f"/cases/{case_id}/amparo-appeal",
                   {"amparo_id": "AMP-11", "filed_on": str(day), "appellant": "authority"})
    await api.post("judicial", f"/cases/{case_id}/amparo-appeal-ruling",
                   {"amparo_id": "AMP-11", "decided_on": str(day), "outcome": "denied"})
    freed = await api.wait("transport", f"/cases/{case_id}",
                           lambda c: bool(c["eligibility"]["eligible"]), "the order freed")
    judicial = await api.get("judicial", f"/cases/{case_id}")
    assert judicial is not None
    # Ordered two days ago, the window's first closed day was day + 59; the grant held it
    # from yesterday to today, so it moves by one day.
    moved = str(day + timedelta(days=60))
    assert judicial["surrender"]["pickup_deadline_on"] == moved
    assert freed["facts"]["surrender"]["pickup_deadline_on"] == moved


async def test_a_placement_recorded_after_the_order_moves_transports_pickup_deadline(
    api: Api, stack: Stack
) -> None:
    """Ordered two days ago; the person was placed at the US's disposal yesterday, recorded
    now, first as today by mistake, then corrected: judicial's window counts from today, and
    transport's deadline follows the correction."""
    day = legal_date(datetime.now(UTC))
    two_days_ago, yesterday = str(day - timedelta(days=2)), str(day - timedelta(days=1))
    case_id = await sre_granted(api, day, given="Placed", family="Later On")
    await api.post("judicial", f"/cases/{case_id}/surrender-order",
                   {"ordered_on": two_days_ago, "kind": "full"})
    await api.post("judicial", f"/cases/{case_id}/placement-at-disposal", {"placed_on": str(day)})
    await api.post("judicial", f"/cases/{case_id}/placement-at-disposal",
                   {"placed_on": yesterday, "correction_reason": "the SRE's note is of yesterday"})
    moved = str(day + timedelta(days=60))  # 60 days from today; closed from the day after
    judicial = await api.get("judicial", f"/cases/{case_id}")
    assert judicial is not None
    assert judicial["surrender"]["pickup_deadline_on"] == moved
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: (c["facts"]["surrender"] or {}).get("pickup_deadline_on") == moved,
                   "transport's deadline moved by the placement")


async def test_a_cancelled_flight_returns_its_people_who_can_fly_later(
    api: Api, stack: Stack
) -> None:
    """The first person was handed to the US Marshals before the cancellation: they stay in
    US custody (intake says so) and fly on the second flight without a second handover."""
    people = [await eligible_case(api, stack, given=f"Pool {i}") for i in range(2)]
    handed_over, waiting = people
    first = await schedule(api)
    for case_id in people:
        await api.post("transport", f"/flights/{first}/manifest", {"case_id": case_id})
    custody = {"transferred_at": datetime.now(UTC).isoformat(), "place": "Toluca",
               "mexican_officer": "FGR 1", "us_marshal": "USMS 2"}
    await api.post("transport", f"/flights/{first}/custody", {"case_id": handed_over, **custody})
    await api.post("transport", f"/flights/{first}/cancellation", {"reason": "weather"})
    for case_id in people:
        view = await api.wait("transport", f"/cases/{case_id}",
                              lambda c: bool(c["eligibility"]["eligible"]), "back in the pool")
        assert view["eligibility"]["eligible"]
    for case_id, status in ((handed_over, "in_us_custody"), (waiting, "awaiting_transport")):
        await api.wait("intake", f"/cases/{case_id}", partial(has_status, status),
                       f"intake's status {status}")
    second = await schedule(api)
    for case_id in people:
        await api.post("transport", f"/flights/{second}/manifest", {"case_id": case_id})
    await api.post("transport", f"/flights/{second}/custody", {"case_id": waiting, **custody})
    await api.post("transport", f"/flights/{second}/departure",
                   {"departed_at": datetime.now(UTC).isoformat()})
    await api.post("transport", f"/flights/{second}/landing",
                   {"airport": "JFK", "landed_at": datetime.now(UTC).isoformat()})
    for case_id in people:
        await api.wait("court", f"/cases/{case_id}", lambda _c: True, "court intake")
    removed = [e for e in await events_on_kafka(stack, "transport")
               if e.event_type == "transport.removed_from_manifest"
               and e.data["case_id"] in people]
    assert {e.data["reason"] for e in removed} == {"flight_cancelled"}


def has_status(status: str, case: dict[str, Any]) -> bool:
    return bool(case["status"] == status)


async def test_superseding_count_is_blocked_until_mexico_consents(
    api: Api, stack: Stack, flight_of_26: list[august_2025.Person]
) -> None:
    treaty = next(p for p in flight_of_26 if p.landed and p.defendant.path == "treaty")
    case = f"/cases/{treaty.case_id}"
    day = legal_date(datetime.now(UTC)).isoformat()
    await api.post("court", f"{case}/docket", {"docket_number": "1:25-cr-00412"})
    await api.post("court", f"{case}/initial-appearance", {
        "held_at": datetime.now(UTC).isoformat(), "magistrate": "Hon. M. Reyes"})
    await api.post("court", f"{case}/detention-hearing", {
        "decided_on": day, "outcome": "detained", "grounds": "flight risk"})
    await api.post("court", f"{case}/superseding-indictment", {"filed_on": day, "charges": [
        {"charge_id": "c9", "statute": "18 U.S.C. § 1956", "description": "money laundering"}]})
    with pytest.raises(ApiError) as blocked:
        await api.post("court", f"{case}/arraignment", {
            "arraigned_on": day, "plea": "not_guilty", "charge_ids": ["c9"]})
    assert blocked.value.status == 409
    assert blocked.value.rule == "specialty_consent_required"
    await api.post("court", f"{case}/specialty-consent-requests", {
        "requested_on": day, "charge_ids": ["c9"], "diplomatic_note_reference": "DN-SC-1"})
    await api.post("court", f"{case}/specialty-consent", {
        "granted": True, "decided_on": day, "diplomatic_note_reference": "DN-SRE-77",
        "charge_ids": ["c9"]})
    await api.post("court", f"{case}/arraignment", {
        "arraigned_on": day, "plea": "not_guilty", "charge_ids": ["c1", "c9"]})
    types: list[str] = []

    async def arraignment_published() -> bool:
        types[:] = [e.event_type for e in await events_on_kafka(stack, "court")
                    if e.data.get("case_id") == treaty.case_id]
        return "court.arraigned" in types

    await wait_for(arraignment_published, what="the arraignment on Kafka")
    assert types.index("court.specialty_violation_blocked") < types.index(
        "court.specialty_consent_granted") < types.index("court.arraigned")



async def test_a_treaty_case_overtaken_by_a_national_security_transfer_flies_to_court(
    api: Api, stack: Stack
) -> None:
    """Caro Quintero (27 Feb 2025): the SRE had granted and an amparo suspension held him when
    Mexico moved his case to the national-security basis and transferred him. Each service
    must follow the change: transport lets the overtaken suspension go, assurance takes the
    DOJ's commitment for the capital count, and the court opens intake on that basis."""
    day = legal_date(datetime.now(UTC))
    case_id = await sre_granted(api, day, capital=True, given="Rafael",
                                family="Overtaken Quintero")
    case = f"/cases/{case_id}"
    await api.post("judicial", f"{case}/amparo", {
        "amparo_id": "AMP-CQ", "filed_on": str(day - timedelta(days=60))})
    await api.post("judicial", f"{case}/amparo-suspension", {
        "amparo_id": "AMP-CQ", "granted_on": str(day - timedelta(days=59))})
    await api.wait("transport", case, lambda c: "amparo_suspension_active" in c[
        "eligibility"]["failing_rules"], "held by the suspension")

    await api.post("judicial", f"{case}/basis-change", {
        "changed_on": str(day), "to_basis": "national_security", "authority": "SSPC",
        "reason": "transferred under the Ley de Seguridad Nacional"})
    await api.post("judicial", f"{case}/national-security-transfer", {
        "authorized_at": datetime.now(UTC).isoformat(), "us_request_reference": "US-REQ-CQ",
        "authority": "SSPC"})
    await api.wait("assurance", case, lambda c: c["legal_basis"] == "national_security",
                   "assurance on the national-security basis")
    await api.post("assurance", f"{case}/doj-commitment", {
        "reference": "DOJ-CQ-1", "committed_on": str(day), "authority": "Attorney General",
        "scope": "will not seek the death penalty"})
    await api.wait("transport", case, lambda c: bool(c["eligibility"]["eligible"]), "eligible")

    flight_id = await schedule(api)
    await api.post("transport", f"/flights/{flight_id}/manifest", {"case_id": case_id})
    now = datetime.now(UTC).isoformat()
    await api.post("transport", f"/flights/{flight_id}/custody", {
        "case_id": case_id, "transferred_at": now, "place": "AIFA",
        "mexican_officer": "FGR 1", "us_marshal": "USMS 2"})
    await api.post("transport", f"/flights/{flight_id}/departure", {"departed_at": now})
    await api.post("transport", f"/flights/{flight_id}/landing",
                   {"airport": "JFK", "landed_at": datetime.now(UTC).isoformat()})
    court = await api.wait("court", case, lambda c: c["status"] == "intake_opened",
                           "court intake")
    assert court["legal_basis"] == "national_security"
    assert court["specialty"]["defence_available"] is False
