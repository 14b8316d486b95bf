"""The August 2025 pattern, end to end, through the public APIs of every service.

26 defendants are submitted in one batch. Most travel on the national-security basis with the
DOJ's commitment not to seek death; four treaty cases walk Mexico's judicial path. One of them
has an assurance Mexico rejects and one an amparo suspension: both stay. The rest are packed
onto aircraft by destination, handed to the US Marshals, flown, and opened in US courts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .api import Api, ApiError
from .defendants import (
    DEFENDANTS,
    NATIONAL_SECURITY,
    TREATY_AMPARO_SUSPENSION,
    TREATY_ASSURANCE_REJECTED,
    Defendant,
    request_body,
)

AIRCRAFT = [
    {"aircraft": "FAM 3526 (Boeing 737-800)", "capacity": 14},
    {"aircraft": "JPATS N-5025 (Boeing 737-400)", "capacity": 14},
]
DEPARTURE_BASE = "Mexico City (AIFA)"
Say = Callable[[str], None]


@dataclass
class Person:
    defendant: Defendant
    case_id: str
    held_by: list[str] = field(default_factory=list)
    flight_id: str | None = None
    destination: str | None = None
    landed: str | None = None
    court_district: str | None = None


def _day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


async def submit_batch(api: Api, say: Say) -> list[Person]:
    say(f"[1/6] Submitting {len(DEFENDANTS)} extradition requests in one batch")
    # A run tag keeps request references unique when the demo runs again on the same data.
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    body = {"requests": [request_body(d, i + 1, _day(55), tag)
                         for i, d in enumerate(DEFENDANTS)]}
    result = await api.post("intake", "/cases/batch", body)
    failed = [r for r in result["results"] if r["outcome"] != "created"]
    if failed:
        raise RuntimeError(f"intake refused part of the batch: {failed}")
    people = [Person(d, r["case_id"]) for d, r in zip(DEFENDANTS, result["results"],
                                                      strict=True)]
    for service in ("judicial", "assurance", "transport"):
        await asyncio.gather(*(api.wait(service, f"/cases/{p.case_id}", lambda _c: True,
                                        f"{service} opened the case") for p in people))
    say(f"      {len(people)} cases created; judicial, assurance and transport opened them"
        " from the events on Kafka")
    return people


async def national_security_path(api: Api, person: Person) -> None:
    case = f"/cases/{person.case_id}"
    await api.post("judicial", f"{case}/national-security-transfer", {
        "authorized_at": datetime.now(UTC).isoformat(),
        "us_request_reference": "US written request of 11 Aug 2025",
        "authority": "Gabinete de Seguridad (SSPC / FGR)"})
    if person.defendant.capital:
        await api.post("assurance", f"{case}/doj-commitment", {
            "reference": "DOJ letter of 11 Aug 2025", "committed_on": _day(0),
            "authority": "US Department of Justice",
            "scope": "the United States will not seek the death penalty"})


async def treaty_path(api: Api, person: Person) -> None:
    case = f"/cases/{person.case_id}"
    steps: list[tuple[str, dict[str, Any]]] = [
        ("provisional-detention", {"ordered_on": _day(55)}),
        ("formal-request", {"received_on": _day(50)}),
        ("hearing", {"held_on": _day(48)}),
        ("judge-opinion", {"issued_on": _day(45), "favorable": True}),
        ("sre-decision", {"decision": "granted", "decided_on": _day(42),
                          "notified_on": _day(41)}),
    ]
    if person.defendant.path == TREATY_AMPARO_SUSPENSION:
        steps += [("amparo", {"amparo_id": "AMP-1", "filed_on": _day(35)}),
                  ("amparo-suspension", {"amparo_id": "AMP-1", "granted_on": _day(34)})]
    for step, body in steps:
        await api.post("judicial", f"{case}/{step}", body)
    if person.defendant.capital:
        await assurance(api, person, accept=person.defendant.path != TREATY_ASSURANCE_REJECTED)
    await order_surrender(api, person)


async def assurance(api: Api, person: Person, *, accept: bool) -> None:
    case = f"/cases/{person.case_id}"
    await api.post("assurance", f"{case}/assurance-requests",
                   {"charge_ids": ["c2"], "requested_on": _day(40)})
    await api.post("assurance", f"{case}/assurances", {
        "assurance_id": "A-1", "scope": ["not_imposed", "not_carried_out"] if accept
        else ["not_sought", "not_carried_out"],
        "diplomatic_note_reference": f"US Embassy note {person.case_id}",
        "issuing_authority": "US Department of State", "issued_on": _day(30),
        "charge_ids": ["c2"]})
    await api.post("assurance", f"{case}/assurances/A-1/decision", {
        "accepted": accept, "decided_on": _day(20),
        "reason": "sufficient under treaty art. 8" if accept
        else "the note does not bind the sentencing court"})


async def order_surrender(api: Api, person: Person) -> None:
    """Order surrender once the scheduler has closed the amparo window; a suspension keeps
    the order refused, and that refusal is the reason the person stays."""
    for _ in range(300):
        try:
            await api.post("judicial", f"/cases/{person.case_id}/surrender-order",
                           {"ordered_on": _day(0), "kind": "full"})
            return
        except ApiError as error:
            if error.rule != "amparo_window_open":
                person.held_by.append(str(error.rule))
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("the amparo window never closed")


async def decide_cases(api: Api, people: list[Person], say: Say) -> None:
    say("[2/6] Mexico decides: national-security transfers, treaty proceedings, assurances")
    await asyncio.gather(*(national_security_path(api, p) if p.defendant.path ==
                           NATIONAL_SECURITY else treaty_path(api, p) for p in people))
    ns = sum(p.defendant.path == NATIONAL_SECURITY for p in people)
    say(f"      {ns} national-security transfers authorised, DOJ commitments recorded for"
        f" the capital cases; {len(people) - ns} treaty cases through SRE and amparo")


async def plan_flights(api: Api, people: list[Person], say: Say) -> list[str]:
    say("[3/6] Waiting for transport to see who may fly (events from judicial and assurance)")
    for person in people:
        if person.held_by or person.defendant.path == TREATY_ASSURANCE_REJECTED:
            continue
        await api.wait("transport", f"/cases/{person.case_id}",
                       lambda c: bool(c["eligibility"]["eligible"]),
                       f"{person.defendant.name} eligible")
    say("[4/6] Planning the mass transfer: packing eligible people onto aircraft by destination")
    departure = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    plan = await api.post("transport", "/transfers/plan", {
        "case_ids": [p.case_id for p in people], "aircraft": AIRCRAFT,
        "departure_base": DEPARTURE_BASE, "scheduled_departure": departure})
    by_case = {p.case_id: p for p in people}
    flights: list[str] = []
    for result in plan["results"]:
        person = by_case[result["case_id"]]
        if result["outcome"] == "assigned":
            person.flight_id, person.destination = result["flight_id"], result[
                "destination_airport"]
            if result["flight_id"] not in flights:
                flights.append(result["flight_id"])
        else:
            person.held_by = person.held_by or list(result.get("rules") or [result["outcome"]])
    assigned = sum(p.flight_id is not None for p in people)
    say(f"      {assigned} people on {len(flights)} flights; {len(people) - assigned} stay")
    return flights


async def fly(api: Api, flights: list[str], people: list[Person], say: Say) -> None:
    say("[5/6] Custody handoff to the US Marshals, departure and landings")
    by_case = {p.case_id: p for p in people}
    for flight_id in flights:
        flight = await api.get("transport", f"/flights/{flight_id}")
        assert flight is not None
        aboard = [m["case_id"] for m in flight["manifest"]]
        for case_id in aboard:
            await api.post("transport", f"/flights/{flight_id}/custody", {
                "case_id": case_id, "transferred_at": datetime.now(UTC).isoformat(),
                "place": DEPARTURE_BASE, "mexican_officer": "FGR agent 0412",
                "us_marshal": "Deputy US Marshal 7781"})
        await api.post("transport", f"/flights/{flight_id}/departure",
                       {"departed_at": datetime.now(UTC).isoformat()})
        stops = [s["airport"] for s in flight["route"]]
        for airport in stops:
            await api.post("transport", f"/flights/{flight_id}/landing", {
                "airport": airport, "landed_at": datetime.now(UTC).isoformat()})
        for case_id in aboard:
            by_case[case_id].landed = by_case[case_id].destination
        say(f"      {flight_id} ({flight['aircraft']}): {len(aboard)} aboard, "
            f"landed at {', '.join(stops)}")


async def open_court_intakes(api: Api, people: list[Person], say: Say) -> None:
    say("[6/6] US courts open intake records for everyone who landed")
    for person in people:
        if person.landed is None:
            continue
        record = await api.wait("court", f"/cases/{person.case_id}", lambda _c: True,
                                f"court intake of {person.defendant.name}")
        person.court_district = str(record.get("district"))
    say(f"      {sum(p.court_district is not None for p in people)} intake records opened")


WHY_HELD = {
    "death_penalty_clearance_missing": "no death-penalty clearance (Mexico rejected the "
                                       "US assurance)",
    "amparo_suspension_active": "amparo suspension in force: surrender refused",
    "surrender_not_ordered": "surrender not ordered",
    "pickup_window_expired": "pickup window expired",
    "released_from_custody": "released from custody",
    "no_capacity": "no seat left on the aircraft",
}


def summary(people: list[Person]) -> str:
    lines = [f"{'#':>2}  {'defendant':<28} {'basis':<17} {'capital':<7} {'district':<8} "
             f"{'flight':<15} {'outcome'}"]
    for index, p in enumerate(people, start=1):
        basis = "national security" if p.defendant.path == NATIONAL_SECURITY else "treaty"
        if p.landed:
            outcome = f"flew to {p.landed}; intake opened in {p.court_district}"
        else:
            reasons = [f"{WHY_HELD.get(rule, rule)} [{rule}]" for rule in p.held_by]
            outcome = "stayed in Mexico: " + "; ".join(reasons or ["not eligible"])
        lines.append(f"{index:>2}  {p.defendant.name[:28]:<28} {basis:<17} "
                     f"{'yes' if p.defendant.capital else 'no':<7} {p.defendant.district:<8} "
                     f"{p.flight_id or '-':<15} {outcome}")
    flew = sum(p.landed is not None for p in people)
    lines.append(f"{flew} flew, {len(people) - flew} stayed.")
    return "\n".join(lines)


async def run(urls: dict[str, str], say: Say = print) -> list[Person]:
    api = Api(urls)
    try:
        people = await submit_batch(api, say)
        await decide_cases(api, people, say)
        flights = await plan_flights(api, people, say)
        await fly(api, flights, people, say)
        await open_court_intakes(api, people, say)
        return people
    finally:
        await api.close()
