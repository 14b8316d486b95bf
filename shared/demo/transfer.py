"""A mass transfer, end to end, through the public APIs of every service.

The scenario's people are submitted in one batch. National-security cases get their transfer
authorisation and, for capital charges, the DOJ's commitment not to seek death; treaty cases
walk Mexico's judicial path (an assurance Mexico rejects, or an amparo suspension, keeps a
person in Mexico). The eligible are packed onto aircraft by destination, handed to the US
Marshals, flown, and opened in US courts. Every act carries the legal date of its document
(shared/demo/scenarios.py), so a transfer entered after the fact is judged on its real dates.
Finally assurance is asked which transfers it flagged and on which dates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from services.judicial.rules import AMPARO_WINDOW_OPEN
from shared.legaltime import legal_date
from shared.retry import poll
from shared.rules import Rule, books, law

from . import treaty
from .api import Api, ApiError
from .defendants import (
    NATIONAL_SECURITY,
    TREATY_AMPARO_SUSPENSION,
    TREATY_ASSURANCE_REJECTED,
    Defendant,
    request_body,
)
from .scenarios import Scenario

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
    flag: Flag | None = None


@dataclass(frozen=True)
class Flag:
    """Assurance's flag on a transfer: why, and the two legal dates it compared."""

    reason: str
    custody_on: date | None
    cleared_on: date | None

    def describe(self) -> str:
        cleared = f"cleared on {self.cleared_on}" if self.cleared_on else "never cleared"
        return f"{self.reason}: custody on {self.custody_on}, {cleared}"


async def submit_batch(api: Api, scenario: Scenario, say: Say) -> list[Person]:
    people_ = scenario.defendants
    say(f"[1/7] Submitting {len(people_)} extradition requests in one batch")
    # A run tag keeps request references unique when the demo runs again on the same data.
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    people = await post_batch(api, people_, [
        request_body(d, i + 1, None, tag, scenario.reference_prefix, scenario.us_request,
                     _requested_on(scenario, d)) for i, d in enumerate(people_)])
    async def opened_in(service: str) -> None:
        # One reader per service, case after case: by the time it reaches a case that one is
        # usually open, and the services are not polled by a reader per person.
        for p in people:
            await api.wait(service, f"/cases/{p.case_id}", lambda _c: True,
                           f"{service} opened the case")

    await asyncio.gather(*(opened_in(s) for s in ("judicial", "assurance", "transport")))
    say(f"      {len(people)} cases created; judicial, assurance and transport opened them"
        " from the events on Kafka")
    return people


async def post_batch(api: Api, defendants: Sequence[Defendant],
                     requests: list[dict[str, Any]]) -> list[Person]:
    """Submit the defendants' requests to intake in one batch: their cases, in order. A
    request intake refuses stops the run (the transfer would be missing someone)."""
    result = await api.post("intake", "/cases/batch", {"requests": requests})
    failed = [r for r in result["results"] if r["outcome"] != "created"]
    if failed:
        raise RuntimeError(f"intake refused part of the batch: {failed[:3]}")
    return [Person(d, r["case_id"]) for d, r in zip(defendants, result["results"], strict=True)]


def _requested_on(scenario: Scenario, defendant: Defendant) -> str:
    """The request's legal date: the US written request, or a treaty case's diplomatic note
    asking for provisional arrest."""
    if defendant.path == NATIONAL_SECURITY:
        return scenario.day(scenario.requested_on)
    return scenario.before_flight(treaty.TREATY_DAYS["request"])


async def national_security_path(api: Api, scenario: Scenario, person: Person) -> None:
    case = f"/cases/{person.case_id}"
    await api.post("judicial", f"{case}/national-security-transfer", {
        "authorized_at": scenario.at(8, legal=scenario.authorized_on),
        "us_request_reference": scenario.us_request, "authority": scenario.authority})
    if person.defendant.capital:
        await api.post("assurance", f"{case}/doj-commitment", {
            "reference": scenario.commitment_reference,
            "committed_on": scenario.committed_on_for(person.defendant),
            "authority": "US Department of Justice",
            "scope": "the United States will not seek the death penalty",
            # Its scope as data: the capital count (c2) of the federal prosecution.
            "charge_ids": ["c2"], "prosecuting_authority": "federal", "seeks_death": False})


async def treaty_path(api: Api, scenario: Scenario, person: Person) -> None:
    suspended = person.defendant.path == TREATY_AMPARO_SUSPENSION
    try:
        for step, body in treaty.judicial_steps(scenario.before_flight, suspended=suspended):
            await api.post("judicial", f"/cases/{person.case_id}/{step}", body)
        if person.defendant.capital:
            accept = person.defendant.path != TREATY_ASSURANCE_REJECTED
            for path, body in treaty.assurance_steps(person.case_id, scenario.before_flight,
                                                     accept=accept):
                await api.post("assurance", path, body)
    except ApiError as refused:
        # A step Mexico's record refuses (e.g. the case closed) is why the person stays.
        person.held_by.append(str(refused.rule or refused.status))
        return
    await order_surrender(api, scenario, person)


async def order_surrender(api: Api, scenario: Scenario, person: Person) -> None:
    """Order surrender once the scheduler has closed the amparo window; a suspension keeps
    the order refused, and that refusal is the reason the person stays."""

    async def attempt() -> bool:
        try:
            await api.post("judicial", f"/cases/{person.case_id}/surrender-order",
                           treaty.surrender_order(scenario.before_flight))
        except ApiError as error:
            if error.rule == AMPARO_WINDOW_OPEN.id:
                return False  # the scheduler has not recorded the window's closing yet
            person.held_by.append(str(error.rule))
        return True

    await poll(attempt, within=30, every=0.1, what="the amparo window's closing")


async def decide_cases(api: Api, scenario: Scenario, people: list[Person], say: Say) -> None:
    say("[2/7] Mexico decides: national-security transfers, treaty proceedings, assurances")
    await asyncio.gather(*(national_security_path(api, scenario, p)
                           if p.defendant.path == NATIONAL_SECURITY
                           else treaty_path(api, scenario, p) for p in people))
    ns = sum(p.defendant.path == NATIONAL_SECURITY for p in people)
    capital = sum(p.defendant.capital and p.defendant.path == NATIONAL_SECURITY for p in people)
    treaty = len(people) - ns
    say(f"      {ns} national-security transfers authorised, {capital} DOJ commitments "
        "recorded for the capital cases" + (f"; {treaty} treaty cases through SRE and amparo"
                                            if treaty else ""))


# Rules no later event lifts: a person they hold is not waited for (the plan says why).
FINAL = frozenset({law.RELEASED_FROM_CUSTODY.id, law.PICKUP_WINDOW_EXPIRED.id})


def _settled(case: dict[str, Any]) -> bool:
    eligibility = case["eligibility"]
    return bool(eligibility["eligible"]) or bool(FINAL & set(eligibility["failing_rules"]))


async def plan_flights(api: Api, scenario: Scenario, people: list[Person],
                       say: Say) -> list[str]:
    say("[3/7] Waiting for transport to see who may fly (events from judicial and assurance)")
    for person in people:
        if person.held_by or person.defendant.path == TREATY_ASSURANCE_REJECTED:
            continue
        await api.wait("transport", f"/cases/{person.case_id}", _settled,
                       f"{person.defendant.name} eligible")
    say("[4/7] Planning the mass transfer: packing eligible people onto aircraft by destination")
    plan = await api.post("transport", "/transfers/plan", {
        "case_ids": [p.case_id for p in people],
        "aircraft": [{"aircraft": a.aircraft, "capacity": a.capacity}
                     for a in scenario.aircraft],
        "departure_base": scenario.departure_base, "scheduled_departure": scenario.at(12)})
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


async def fly(api: Api, scenario: Scenario, flights: list[str], people: list[Person],
              say: Say) -> None:
    say("[5/7] Custody handoff to the US Marshals, departure and landings")
    by_case = {p.case_id: p for p in people}
    flown = await asyncio.gather(*(fly_one(api, scenario, flight_id) for flight_id in flights))
    for flight_id, (aircraft, aboard, stops) in zip(flights, flown, strict=True):
        for case_id in aboard:
            by_case[case_id].landed = by_case[case_id].destination
        say(f"      {flight_id} ({aircraft}): {len(aboard)} aboard, landed at {', '.join(stops)}")


async def fly_one(api: Api, scenario: Scenario,
                  flight_id: str) -> tuple[str, list[str], list[str]]:
    """One aircraft: everyone aboard handed over, departure, a landing at each stop."""
    flight = await api.get("transport", f"/flights/{flight_id}")
    assert flight is not None
    aboard = [m["case_id"] for m in flight["manifest"]]
    for case_id in aboard:  # one at a time: each handoff is appended to the flight's stream
        await api.post("transport", f"/flights/{flight_id}/custody", {
            "case_id": case_id, "transferred_at": scenario.at(11),
            "place": scenario.departure_base, "mexican_officer": "FGR agent 0412",
            "us_marshal": "Deputy US Marshal 7781"})
    await api.post("transport", f"/flights/{flight_id}/departure",
                   {"departed_at": scenario.at(12)})
    stops = [s["airport"] for s in flight["route"]]
    for hour, airport in enumerate(stops, start=16):
        await api.post("transport", f"/flights/{flight_id}/landing", {
            "airport": airport, "landed_at": scenario.at(hour)})
    return str(flight["aircraft"]), aboard, stops


async def open_court_intakes(api: Api, people: list[Person], say: Say) -> None:
    say("[6/7] US courts open intake records for everyone who landed")
    async def opened(person: Person) -> None:
        record = await api.wait("court", f"/cases/{person.case_id}", lambda _c: True,
                                f"court intake of {person.defendant.name}")
        person.court_district = str(record.get("district"))

    for person in people:
        if person.landed is not None:
            await opened(person)
    say(f"      {sum(p.court_district is not None for p in people)} intake records opened")


def _day_of(instant: str | None) -> date | None:
    return None if instant is None else legal_date(datetime.fromisoformat(instant))


def _flag(case: dict[str, Any]) -> Flag:
    """The flag as assurance states it: the two legal dates it compared when it names them,
    else the custody's instant and the clearance's `since` it compared (both as legal dates)."""
    transfer = case["transfer"]
    named = transfer.get("flag")
    if named:
        return Flag(str(named["rule"]), _date(named.get("transfer_legal_date")),
                    _date(named.get("clearance_legal_date")))
    return Flag(str(transfer["flag_reason"]), _day_of(transfer["transferred_at"]),
                _day_of(case["clearance"]["since"]))


def _date(day: str | None) -> date | None:
    return None if day is None else date.fromisoformat(day)


async def read_flags(api: Api, people: list[Person], say: Say) -> None:
    """Assurance notes every custody transfer; it flags one whose death-penalty clearance
    (the DOJ commitment or accepted assurance) was not in place on the custody's date."""
    say("[7/7] Asking assurance which transfers it flagged, and on which dates")
    async def noted(person: Person) -> None:
        case = await api.wait("assurance", f"/cases/{person.case_id}",
                              lambda c: c["transfer"] is not None,
                              f"assurance noted the transfer of {person.defendant.name}")
        if case["transfer"]["flagged"]:
            person.flag = _flag(case)

    for person in people:
        if person.landed is not None:
            await noted(person)
    flagged = [p for p in people if p.flag]
    say(f"      {len(flagged)} transfer(s) flagged")


async def run(urls: dict[str, str], scenario: Scenario, say: Say = print) -> list[Person]:
    api = Api(urls)
    try:
        people = await submit_batch(api, scenario, say)
        await decide_cases(api, scenario, people, say)
        flights = await plan_flights(api, scenario, people, say)
        await fly(api, scenario, flights, people, say)
        await open_court_intakes(api, people, say)
        await read_flags(api, people, say)
        return people
    finally:
        await api.close()


# --- the summary -------------------------------------------------------------------------------

def _law_rules() -> dict[str, Rule[Any]]:
    return {r.id: r for r in vars(law).values() if isinstance(r, Rule)}


def why_held(rule_id: str) -> str:
    """The rule's own statement, from the service rule books (shared.rules.books()) or the
    shared law (shared.rules.law); the demo never restates a rule. An outcome that is not a
    rule (a plan's "no_capacity") reads as its id."""
    for book in books().values():
        if rule_id in book:
            return book.statement(rule_id)
    found = _law_rules().get(rule_id)
    return found.statement if found else rule_id.replace("_", " ")


def summary(people: list[Person]) -> str:
    lines = [f"{'#':>2}  {'defendant':<28} {'basis':<17} {'capital':<7} {'district':<8} "
             f"{'flight':<15} {'outcome'}"]
    for index, p in enumerate(people, start=1):
        basis = "national security" if p.defendant.path == NATIONAL_SECURITY else "treaty"
        if p.landed:
            outcome = f"flew to {p.landed}; intake opened in {p.court_district}"
            if p.flag:
                outcome += f"; FLAGGED {p.flag.describe()}"
        else:
            reasons = [f"{why_held(rule)} [{rule}]" for rule in p.held_by]
            outcome = "stayed in Mexico: " + "; ".join(reasons or ["not eligible"])
        lines.append(f"{index:>2}  {p.defendant.name[:28]:<28} {basis:<17} "
                     f"{'yes' if p.defendant.capital else 'no':<7} {p.defendant.district:<8} "
                     f"{p.flight_id or '-':<15} {outcome}")
    flew = sum(p.landed is not None for p in people)
    flagged = sum(p.flag is not None for p in people)
    lines.append(f"{flew} flew, {len(people) - flew} stayed; {flagged} transfer(s) flagged.")
    return "\n".join(lines)
