"""The three real mass transfers entered after the fact with their real dates (`make run
SCENARIO=...`), on the five services as real processes on PostgreSQL and Kafka.

Each scenario must come out as the law reads its legal dates: exactly the right people fly,
the right people stay under the right rules, and assurance flags exactly the transfers whose
death-penalty clearance came after the custody handoff's date, naming both dates.
"""

from __future__ import annotations

from datetime import date

from shared.demo import transfer
from shared.demo.scenarios import AUG_2025, FEB_2025, JAN_2026, Scenario
from shared.topology import SERVICES
from tests.support.stack import Stack, stack_fixture

AIRPORT_OF = {"EDNY": "JFK", "SDNY": "JFK", "CDCA": "LAX", "SDCA": "SAN", "WDTX": "SAT",
              "SDTX": "IAH", "NDIL": "ORD", "DDC": "IAD"}


stack = stack_fixture(SERVICES, env={"SCHEDULER_INTERVAL_S": "0.2"})


async def play(stack: Stack, scenario: Scenario) -> list[transfer.Person]:
    lines: list[str] = []
    people = await transfer.run({name: stack.url(name) for name in SERVICES}, scenario,
                                say=lines.append)
    summary = transfer.summary(people)
    assert summary.splitlines()[-1].startswith(f"{sum(p.landed is not None for p in people)}"
                                               " flew")
    return people


def flew(people: list[transfer.Person]) -> set[str]:
    return {p.defendant.name for p in people if p.landed}


def stayed(people: list[transfer.Person]) -> dict[str, list[str]]:
    return {p.defendant.name: p.held_by for p in people if not p.landed}


def flags(people: list[transfer.Person]) -> dict[str, transfer.Flag]:
    return {p.defendant.name: p.flag for p in people if p.flag is not None}


def each_landed_in_their_district(people: list[transfer.Person]) -> None:
    for person in people:
        if person.landed:
            assert person.landed == AIRPORT_OF[person.defendant.district], person
            assert person.court_district == person.defendant.district, person


async def test_february_2025_flags_only_caro_quintero_whose_commitment_came_later(
    stack: Stack
) -> None:
    people = await play(stack, FEB_2025)
    assert flew(people) == {d.name for d in FEB_2025.defendants}
    assert len(flew(people)) == 29
    each_landed_in_their_district(people)
    caro = next(p for p in people if p.defendant.name == "Rafael Caro Quintero")
    assert (caro.landed, caro.court_district) == ("JFK", "EDNY")
    assert set(flags(people)) == {"Rafael Caro Quintero"}
    flag = flags(people)["Rafael Caro Quintero"]
    # The dates compared: the custody handoff's legal date and the commitment's.
    assert flag.reason == "cleared_after_transfer"
    assert (flag.custody_on, flag.cleared_on) == (date(2025, 2, 27), date(2025, 7, 31))
    assert "2025-02-27" in transfer.summary(people) and "2025-07-31" in transfer.summary(people)


async def test_august_2025_flies_24_and_keeps_two_in_mexico_under_their_rules(
    stack: Stack
) -> None:
    people = await play(stack, AUG_2025)
    assert stayed(people) == {"Yahir Cortés Bravo": ["death_penalty_clearance_missing"],
                              "Zacarías Molina Fierro": ["amparo_suspension_active"]}
    assert len(flew(people)) == 24
    assert {"Roberto Salazar", "Abigael González Valencia", "Walter Valdez Arce",
            "Ximena Zamora Luna"} <= flew(people)
    each_landed_in_their_district(people)
    assert flags(people) == {}
    summary = transfer.summary(people)
    # The reasons are the rule registry's statements, not the demo's words.
    assert "an amparo suspension is in force: the person may not be surrendered " \
           "[amparo_suspension_active]" in summary
    assert "24 flew, 2 stayed; 0 transfer(s) flagged." in summary


async def test_january_2026_flies_all_37_on_7_aircraft_to_6_cities_and_flags_nobody(
    stack: Stack
) -> None:
    people = await play(stack, JAN_2026)
    assert stayed(people) == {}
    assert len(flew(people)) == 37
    assert sum(not p.defendant.capital for p in people) == 27
    assert len({p.flight_id for p in people}) == 7
    assert len({p.landed for p in people}) == 6
    each_landed_in_their_district(people)
    assert flags(people) == {}
