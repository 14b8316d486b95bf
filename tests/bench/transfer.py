"""The January 2026 transfer, end to end: `python -m tests.bench.transfer` prints one JSON
document (progress on stderr).

37 people on the national-security basis (the basis of the 20 January 2026 transfer, see the
domain brief), entered as clerks and officers would, over the public HTTP APIs of the five
services running as their own processes on PostgreSQL and Kafka: one batch submission to
intake; judicial's transfer authorisation and, for the capital cases, assurance's DOJ
commitment; transport's plan onto three aircraft, custody, departure and landings; then the
wait for every court intake record. The figure is the time from the batch submission to the
last court intake record (goal: 5 s), with each phase's share; the scenario's own steps come
from shared/demo, as `make run` drives them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.demo import august_2025 as demo
from shared.demo.api import Api
from shared.demo.defendants import NATIONAL_SECURITY, Defendant, request_body
from shared.demo.transfer import post_batch
from shared.legaltime import legal_date
from shared.topology import SERVICES
from tests.bench.load import running_stack, say

PEOPLE = 37
GOAL_S = 5.0
AIRCRAFT = [{"aircraft": "FAM 3527 (Boeing 737-800)", "capacity": 14},
            {"aircraft": "JPATS N-5025 (Boeing 737-400)", "capacity": 14},
            {"aircraft": "JPATS N-5026 (Boeing 737-400)", "capacity": 14}]
DISTRICTS = ("CDCA", "SDCA", "EDNY", "SDNY", "WDTX", "SDTX", "NDIL", "DDC")
GIVEN = ("Abel", "Bruno", "Carlos", "Diego", "Elena", "Fausto", "Gael", "Hugo", "Inés",
         "Joel", "Kevin", "Leonel", "Mateo", "Noé", "Omar", "Pedro", "Rafael", "Sergio")
FAMILY = ("Aguilar", "Bautista", "Castro", "Delgado", "Espinoza", "Flores", "Galván",
          "Hernández", "Islas", "Jiménez", "Luna", "Mendoza", "Nava", "Orozco", "Peña")


def defendants() -> list[Defendant]:
    """37 fictional people on the national-security basis; every sixth faces a capital
    charge, covered by the DOJ's commitment not to seek death."""
    return [Defendant(GIVEN[n % len(GIVEN)], f"{FAMILY[n % len(FAMILY)]} {n + 1}",
                      DISTRICTS[n % len(DISTRICTS)], NATIONAL_SECURITY, capital=n % 6 == 0)
            for n in range(PEOPLE)]


class Phases:
    """Seconds since the batch submission at which each phase ended."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.ended: dict[str, float] = {}

    async def run(self, name: str, step: Awaitable[Any]) -> Any:
        result = await step
        self.ended[name] = round(time.monotonic() - self.started, 3)
        say(f"  {self.ended[name]:6.2f} s  {name}")
        return result


async def submit(api: Api, people: list[Defendant]) -> list[demo.Person]:
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    arrested = (legal_date(datetime.now(UTC)) - timedelta(days=2)).isoformat()
    return await post_batch(api, people, [request_body(d, i + 1, arrested, f"JAN2026-{tag}")
                                          for i, d in enumerate(people)])


async def listed(api: Api, service: str, people: list[demo.Person], query: str = "") -> None:
    """Wait until `service` lists every one of `people`: one list read per poll, as a
    client watching a transfer would, not one reader per person (111 pollers at 10 Hz were
    most of the load the services saw)."""
    wanted = {p.case_id for p in people}

    def all_there(page: dict[str, Any]) -> bool:
        return wanted <= {case["case_id"] for case in page["cases"]}

    await api.wait(service, f"/cases?limit=1000{query}", all_there,
                   f"{service} to list all {len(wanted)} cases")


async def opened_everywhere(api: Api, people: list[demo.Person]) -> None:
    await asyncio.gather(*(listed(api, service, people)
                           for service in ("judicial", "assurance", "transport")))


async def eligible(api: Api, people: list[demo.Person]) -> None:
    await listed(api, "transport", people, "&eligible=true")


async def court_intakes(api: Api, people: list[demo.Person]) -> None:
    await listed(api, "court", people)
    await demo.open_court_intakes(api, people, lambda _line: None)  # notes each district


async def plan(api: Api, people: list[demo.Person]) -> list[str]:
    departure = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    answer = await api.post("transport", "/transfers/plan", {
        "case_ids": [p.case_id for p in people], "aircraft": AIRCRAFT,
        "departure_base": demo.DEPARTURE_BASE, "scheduled_departure": departure})
    by_case = {p.case_id: p for p in people}
    flights: list[str] = []
    for result in answer["results"]:
        if result["outcome"] != "assigned":
            raise RuntimeError(f"not assigned: {result}")
        person = by_case[result["case_id"]]
        person.flight_id, person.destination = result["flight_id"], result[
            "destination_airport"]
        if result["flight_id"] not in flights:
            flights.append(result["flight_id"])
    return flights


async def transfer(urls: dict[str, str]) -> dict[str, Any]:
    api = Api(urls)
    try:
        phases = Phases()
        people = await phases.run("batch submitted", submit(api, defendants()))
        await phases.run("opened by judicial, assurance, transport",
                         opened_everywhere(api, people))
        await phases.run("transfers authorised, DOJ commitments recorded", asyncio.gather(
            *(demo.national_security_path(api, p) for p in people)))
        await phases.run("eligible to fly", eligible(api, people))
        flights = await phases.run("flights planned", plan(api, people))
        # Each aircraft's crew works its own flight, at the same time as the others.
        await phases.run("custody, departure, landings", asyncio.gather(
            *(demo.fly(api, [flight], people, lambda _line: None) for flight in flights)))
        await phases.run("court intake records opened", court_intakes(api, people))
    finally:
        await api.close()
    landed = sum(p.court_district is not None for p in people)
    if landed != PEOPLE:
        raise RuntimeError(f"only {landed} of {PEOPLE} reached a court intake record")
    total = phases.ended["court intake records opened"]
    return {"people": PEOPLE, "basis": "national_security", "flights": len(flights),
            "seconds_submit_to_last_court_intake": total,
            "phase_ends_s": phases.ended, "goal_s": GOAL_S, "meets_goal": total <= GOAL_S}


async def main() -> dict[str, Any]:
    async with running_stack(SERVICES) as stack:
        say(f"the January 2026 transfer: {PEOPLE} people through the public APIs")
        return await transfer({name: stack.url(name) for name in SERVICES})


if __name__ == "__main__":
    print(json.dumps({"transfer": asyncio.run(main())}, indent=2))
