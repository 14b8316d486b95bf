"""A seeded workload of extradition cases, entered only through the public HTTP APIs (through
the load balancers), as clerks, officers and marshals would.

`generate(seed, cases)` is the script: which cases, of which kind, with which options. The same
seed gives the same script. `play` enters it: every case walks its path, then the people who
may fly are planned onto aircraft, a seeded few are taken off their flight again, and the rest
are handed over, flown and landed. Every act carries the legal date of its document, counted
back from the flight day (yesterday), as a clerk entering it after the fact would.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from services.intake.rules import AMENDMENT_CHANGES_NOTHING
from services.judicial.rules import AMPARO_WINDOW_OPEN
from services.transport.rules import FLIGHT_NOT_IN_AIR, FLIGHT_NOT_OPEN, NOT_ON_MANIFEST
from shared.demo import treaty
from shared.legaltime import zone
from shared.retry import poll

from .client import ChaosApi, Refused


class Kind(StrEnum):
    NATIONAL_SECURITY = "national_security"
    NATIONAL_SECURITY_CAPITAL = "national_security_capital"  # a DOJ commitment clears it
    TREATY = "treaty"
    TREATY_AMENDED = "treaty_amended"  # intake's charges amended before the formal request
    TREATY_ASSURANCE_ACCEPTED = "treaty_assurance_accepted"
    TREATY_ASSURANCE_REJECTED = "treaty_assurance_rejected"
    TREATY_AMPARO_SUSPENSION = "treaty_amparo_suspension"
    PROVISIONAL_THEN_FORMAL = "provisional_then_formal"  # detained, the formal request in time
    PROVISIONAL_LAPSED = "provisional_lapsed"  # detained 61 days ago, no formal request


# How often each kind appears (the law's paths, weighted like a real caseload: mostly treaty
# and national-security transfers, a few amparos and lapses).
WEIGHTS: dict[Kind, int] = {
    Kind.NATIONAL_SECURITY: 20, Kind.NATIONAL_SECURITY_CAPITAL: 10, Kind.TREATY: 15,
    Kind.TREATY_AMENDED: 10, Kind.TREATY_ASSURANCE_ACCEPTED: 10,
    Kind.TREATY_ASSURANCE_REJECTED: 8, Kind.TREATY_AMPARO_SUSPENSION: 8,
    Kind.PROVISIONAL_THEN_FORMAL: 10, Kind.PROVISIONAL_LAPSED: 9}
CAPITAL = frozenset({Kind.NATIONAL_SECURITY_CAPITAL, Kind.TREATY_ASSURANCE_ACCEPTED,
                     Kind.TREATY_ASSURANCE_REJECTED})
TREATY_WALK = frozenset({Kind.TREATY, Kind.TREATY_AMENDED, Kind.TREATY_ASSURANCE_ACCEPTED,
                         Kind.TREATY_ASSURANCE_REJECTED, Kind.TREATY_AMPARO_SUSPENSION})
DISTRICTS = ("EDNY", "SDNY", "DDC", "WDTX", "SDTX", "NDIL", "CDCA", "SDCA")
REMOVED_SHARE = 0.05  # of the people planned onto a flight, taken off again by an operator
SEATS = 40
# A departure or cancellation retried after its answer was lost finds the flight no longer
# open: its own doing (shared/chaos/client.py, applied_if).
FLIGHT_CLOSED = frozenset({FLIGHT_NOT_OPEN.id})
LANDED = frozenset({FLIGHT_NOT_IN_AIR.id})  # its last landing retried: the flight has landed

# A provisional detention whose 60-day clock has not run out, stopped by the formal request.
PROVISIONAL_DAYS = {"arrest": 20, "formal-request": 10, "hearing": 5}
LAPSED_DAYS = 61


@dataclass(frozen=True)
class CaseScript:
    index: int
    kind: Kind
    district: str
    removed: bool  # planned onto a flight, then taken off it by the operator
    tag: str  # the run's tag: names and references are unique per run

    @property
    def capital(self) -> bool:
        return self.kind in CAPITAL

    @property
    def given(self) -> str:
        return f"Chaos {self.tag}"

    @property
    def family(self) -> str:
        return f"Case {self.index:05d}"

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def reference(self) -> str:
        return f"CHAOS-{self.tag}-{self.index:05d}"


def generate(seed: int, cases: int, tag: str) -> list[CaseScript]:
    """The workload's script; the same seed and size give the same cases."""
    rng = random.Random(f"workload-{seed}")
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    return [CaseScript(index, kind := rng.choices(kinds, weights)[0], rng.choice(DISTRICTS),
                       removed=kind in PLANNED and rng.random() < REMOVED_SHARE, tag=tag)
            for index in range(1, cases + 1)]


# The paths the workload plans onto a flight (a rejected assurance's case is surrendered but
# never planned: the oracle says transport would refuse it).
PLANNED = frozenset({Kind.NATIONAL_SECURITY, Kind.NATIONAL_SECURITY_CAPITAL, Kind.TREATY,
                     Kind.TREATY_AMENDED, Kind.TREATY_ASSURANCE_ACCEPTED})


@dataclass
class Calendar:
    """The legal dates of the acts: counted back from the flight day (yesterday)."""

    today: date

    @property
    def flight_day(self) -> date:
        return self.today - timedelta(days=1)

    def before_flight(self, days: int) -> str:
        return (self.flight_day - timedelta(days=days)).isoformat()

    def ago(self, days: int) -> str:
        return (self.today - timedelta(days=days)).isoformat()

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> str:
        return datetime.combine(day or self.flight_day, time(hour, minute),
                                tzinfo=zone()).isoformat()


@dataclass
class Played:
    """What happened to one case as the workload saw it (the checks compare the services'
    answers with the oracle, not with this)."""

    script: CaseScript
    case_id: str | None = None
    flight_id: str | None = None
    refusals: list[str] = field(default_factory=list)  # rules that refused an act
    error: str | None = None  # the workload could not enter the case (a 500, a timeout)


# --- one case ----------------------------------------------------------------------------


def charges(capital: bool, description: str = "conspiracy to distribute controlled substances"
            ) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{
        "charge_id": "c1", "statute": "21 U.S.C. §§ 846, 841", "description": description,
        "max_penalty_us": {"life": True}, "mx_equivalent_offence": "delitos contra la salud",
        "max_penalty_mx": {"years": 25}, "death_penalty_possible": False}]
    if capital:
        found.append({
            "charge_id": "c2", "statute": "18 U.S.C. § 1111", "description": "murder",
            "max_penalty_us": {"life": True}, "mx_equivalent_offence": "homicidio calificado",
            "max_penalty_mx": {"years": 60}, "death_penalty_possible": True,
            "death_penalty_law": "18 U.S.C. § 3591"})
    return found


def request_body(script: CaseScript, calendar: Calendar) -> dict[str, Any]:
    national = script.kind in (Kind.NATIONAL_SECURITY, Kind.NATIONAL_SECURITY_CAPITAL)
    body: dict[str, Any] = {
        "request_reference": script.reference,
        "person": {"given_names": script.given, "family_names": script.family,
                   "aliases": [], "nationality": "Mexican"},
        "legal_basis": "national_security" if national else "treaty",
        "requesting_district": script.district,
        "prosecutor_office": f"US Attorney's Office, {script.district}",
        "charges": charges(script.capital),
        "documents": [{"kind": "arrest_warrant", "reference": f"WAR-{script.index}"}],
    }
    if national:
        body["us_request_reference"] = f"US written request {script.tag}"
        body["requested_on"] = calendar.before_flight(2)
        return body
    body["documents"].append({"kind": "diplomatic_note", "reference": f"DN-{script.index}"})
    if script.kind == Kind.PROVISIONAL_THEN_FORMAL:
        body["provisional_arrest_date"] = body["requested_on"] = calendar.ago(
            PROVISIONAL_DAYS["arrest"])
    elif script.kind == Kind.PROVISIONAL_LAPSED:
        body["provisional_arrest_date"] = body["requested_on"] = calendar.ago(LAPSED_DAYS)
    else:
        body["requested_on"] = calendar.before_flight(treaty.TREATY_DAYS["request"])
    return body


class CaseWalker:
    """Walks one case through its path, as the script says."""

    def __init__(self, api: ChaosApi, calendar: Calendar) -> None:
        self.api, self.calendar = api, calendar

    async def submit(self, played: Played) -> str:
        script = played.script
        answer = await self.api.post("intake", "/cases", request_body(script, self.calendar))
        if answer.get("already_applied"):  # created, but the answer with its id was lost
            return await self.find_by_name(script.full_name)
        return str(answer["case_id"])

    async def find_by_name(self, name: str) -> str:
        offset = 0
        while True:
            page = await self.api.get("intake", f"/cases?limit=200&offset={offset}")
            items = (page or {}).get("items") or (page or {}).get("cases") or []
            for item in items:
                if item.get("full_name") == name:
                    return str(item["case_id"])
            if len(items) < 200:
                raise LookupError(f"no case of {name} in intake")
            offset += 200

    async def walk(self, played: Played) -> None:
        played.case_id = await self.submit(played)
        await self.opened(played.case_id, "judicial")
        kind = played.script.kind
        if kind in (Kind.NATIONAL_SECURITY, Kind.NATIONAL_SECURITY_CAPITAL):
            await self.national_security(played)
        elif kind in TREATY_WALK:
            await self.treaty(played)
        elif kind == Kind.PROVISIONAL_THEN_FORMAL:
            await self.provisional_then_formal(played)
        else:
            await self.judicial(played, "provisional-detention",
                                {"ordered_on": self.calendar.ago(LAPSED_DAYS)})

    async def opened(self, case_id: str, service: str) -> None:
        async def seen() -> bool:
            return await self.api.get(service, f"/cases/{case_id}") is not None

        await poll(seen, within=600, every=0.5, what=f"{service} opened {case_id}")

    async def judicial(self, played: Played, step: str, body: dict[str, Any]) -> None:
        await self.api.post("judicial", f"/cases/{played.case_id}/{step}", body)

    async def national_security(self, played: Played) -> None:
        await self.judicial(played, "national-security-transfer", {
            "authorized_at": self.calendar.at(8), "authority": "Gabinete de Seguridad",
            "us_request_reference": f"US written request {played.script.tag}"})
        if played.script.capital:
            await self.opened(str(played.case_id), "assurance")
            await self.api.post("assurance", f"/cases/{played.case_id}/doj-commitment", {
                "reference": f"DOJ letter {played.script.tag}",
                "committed_on": self.calendar.before_flight(1),
                "authority": "US Department of Justice",
                "scope": "the United States will not seek the death penalty",
                "charge_ids": ["c2"], "prosecuting_authority": "federal",
                "seeks_death": False})

    async def treaty(self, played: Played) -> None:
        kind = played.script.kind
        if kind == Kind.TREATY_AMENDED:
            await self.api.post("intake", f"/cases/{played.case_id}/charges", {
                "charges": charges(False, "conspiracy to import controlled substances"),
                "reason": "superseding indictment narrowed the count"}, method="PUT",
                applied_if=frozenset({AMENDMENT_CHANGES_NOTHING.id}))
        suspended = kind == Kind.TREATY_AMPARO_SUSPENSION
        for step, body in treaty.judicial_steps(self.calendar.before_flight, suspended=suspended):
            await self.judicial(played, step, body)
        if played.script.capital:
            await self.assurance(played, accept=kind == Kind.TREATY_ASSURANCE_ACCEPTED)
        await self.order_surrender(played)

    async def assurance(self, played: Played, *, accept: bool) -> None:
        await self.opened(str(played.case_id), "assurance")
        for path, body in treaty.assurance_steps(str(played.case_id), self.calendar.before_flight,
                                                 accept=accept):
            await self.api.post("assurance", path, body)

    async def order_surrender(self, played: Played) -> None:
        """Once judicial's scheduler has closed the amparo window; a refusal by another rule
        (an amparo suspension) is noted as why the person stays."""

        async def attempt() -> bool:
            try:
                await self.judicial(played, "surrender-order",
                                    treaty.surrender_order(self.calendar.before_flight))
            except Refused as refused:
                if refused.rule == AMPARO_WINDOW_OPEN.id:
                    return False
                played.refusals.append(str(refused.rule or refused.status))
            return True

        await poll(attempt, within=600, every=0.5, what="the amparo window's closing")

    async def provisional_then_formal(self, played: Played) -> None:
        await self.judicial(played, "provisional-detention",
                            {"ordered_on": self.calendar.ago(PROVISIONAL_DAYS["arrest"])})
        await self.judicial(played, "formal-request",
                            {"received_on": self.calendar.ago(
                                PROVISIONAL_DAYS["formal-request"])})
        await self.judicial(played, "hearing",
                            {"held_on": self.calendar.ago(PROVISIONAL_DAYS["hearing"])})


# --- flights -----------------------------------------------------------------------------


class Flights:
    """Plan the people transport finds eligible onto aircraft, take the scripted few off,
    hand the rest over, depart and land."""

    def __init__(self, api: ChaosApi, calendar: Calendar) -> None:
        self.api, self.calendar = api, calendar

    async def wait_eligible(self, people: list[Played], within: float) -> None:
        async def eligible(played: Played) -> None:
            async def holds() -> bool:
                case = await self.api.get("transport", f"/cases/{played.case_id}")
                return bool(case and case["eligibility"]["eligible"])

            try:
                await poll(holds, within=within, every=1.0,
                           what=f"transport finds {played.case_id} eligible")
            except TimeoutError as error:
                played.error = str(error)

        await _bounded([eligible(p) for p in people], 8)

    async def plan(self, people: list[Played]) -> list[str]:
        flights: list[str] = []
        for start in range(0, len(people), 400):
            chunk = people[start:start + 400]
            aircraft = [{"aircraft": f"CHAOS-{start // 400}-{n}", "capacity": SEATS}
                        for n in range(min(50, len(chunk) // SEATS + 8))]
            plan = await self.api.post("transport", "/transfers/plan", {
                "case_ids": [p.case_id for p in chunk], "aircraft": aircraft,
                "departure_base": "Mexico City (AIFA)",
                "scheduled_departure": self.calendar.at(12)})
            by_case = {p.case_id: p for p in chunk}
            for result in plan["results"]:
                played = by_case[result["case_id"]]
                if result["outcome"] == "assigned":
                    played.flight_id = result["flight_id"]
                    if played.flight_id not in flights:
                        flights.append(played.flight_id)
                else:
                    played.refusals += list(result.get("rules") or [result["outcome"]])
        return flights

    async def remove(self, played: Played) -> None:
        await self.api.post("transport", f"/flights/{played.flight_id}/manifest/"
                            f"{played.case_id}/removal",
                            {"detail": "medical hold ordered by the operator"},
                            applied_if=frozenset({NOT_ON_MANIFEST.id}))

    async def fly(self, flight_id: str) -> None:
        flight = await self.api.get("transport", f"/flights/{flight_id}")
        assert flight is not None, flight_id
        if not flight["manifest"]:  # all taken off: an empty flight is cancelled, not flown
            await self.api.post("transport", f"/flights/{flight_id}/cancellation",
                                {"reason": "everyone on the manifest was taken off"},
                                applied_if=FLIGHT_CLOSED)
            return
        for entry in flight["manifest"]:  # each handoff is appended to the flight's stream
            await self.api.post("transport", f"/flights/{flight_id}/custody", {
                "case_id": entry["case_id"], "transferred_at": self.calendar.at(11),
                "place": "Mexico City (AIFA)", "mexican_officer": "FGR agent 0412",
                "us_marshal": "Deputy US Marshal 7781"})
        await self.api.post("transport", f"/flights/{flight_id}/departure",
                            {"departed_at": self.calendar.at(12)}, applied_if=FLIGHT_CLOSED)
        for hour, stop in enumerate(flight["route"], start=16):
            await self.api.post("transport", f"/flights/{flight_id}/landing",
                                {"airport": stop["airport"], "landed_at": self.calendar.at(hour)},
                                applied_if=LANDED)


async def _bounded(work: list[Awaitable[None]], limit: int) -> None:
    """Await the coroutines, at most `limit` at a time (each starts when it is awaited)."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in work))


async def play(api: ChaosApi, scripts: list[CaseScript], today: date,
               say: Callable[[str], None], concurrency: int = 12) -> list[Played]:
    """Enter the whole workload; the failures of single cases are kept on their Played."""
    calendar = Calendar(today)
    walker = CaseWalker(api, calendar)
    people = [Played(script) for script in scripts]

    async def walk(played: Played) -> None:
        try:
            await walker.walk(played)
        except (Refused, TimeoutError, LookupError) as error:
            played.error = f"{type(error).__name__}: {error}"

    done = 0

    async def walk_and_count(played: Played) -> None:
        nonlocal done
        await walk(played)
        done += 1
        if done % 50 == 0 or done == len(people):
            say(f"  workload: {done}/{len(people)} cases entered")

    await _bounded([walk_and_count(p) for p in people], concurrency)
    flights = Flights(api, calendar)
    candidates = [p for p in people if p.error is None and p.script.kind in PLANNED
                  and not p.refusals]
    say(f"  workload: waiting for transport to clear {len(candidates)} people")
    await flights.wait_eligible(candidates, within=900)
    ready = [p for p in candidates if p.error is None]
    try:
        planned = await flights.plan(ready) if ready else []
    except Refused as refused:  # a 500 is counted by the client and fails its check
        say(f"  workload: the plan was refused: {refused}")
        for played in ready:
            played.error = f"plan refused: {refused}"
        planned = []
    say(f"  workload: {sum(p.flight_id is not None for p in ready)} people on "
        f"{len(planned)} flights")
    for played in ready:
        if played.script.removed and played.flight_id is not None:
            await flights.remove(played)
    await _bounded([flights.fly(f) for f in planned], 4)
    say("  workload: every flight with anyone aboard handed over, departed and landed")
    return people
