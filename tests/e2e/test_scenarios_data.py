"""The scenarios' data against the public reporting, and the summary's reasons against the rule
registry: no stack needed (tests/e2e/test_scenarios.py plays them on the real one)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.transport.planning import AircraftOffer, Traveller, pack
from services.transport.settings import TransportSettings
from shared.demo import transfer
from shared.demo.defendants import NATIONAL_SECURITY
from shared.demo.scenarios import AUG_2025, FEB_2025, JAN_2026, DemoSettings, Scenario, named
from shared.rules import Rule, books, law


def test_february_2025_is_29_national_security_cases_with_caro_quintero_the_one_capital_case(
) -> None:
    people = FEB_2025.defendants
    assert len(people) == 29
    assert all(d.path == NATIONAL_SECURITY for d in people)
    capital = [d for d in people if d.capital]
    assert [d.name for d in capital] == ["Rafael Caro Quintero"]
    caro = capital[0]
    assert caro.district == "EDNY"
    # His DOJ commitment is about five months after the flight of 27 Feb 2025.
    assert FEB_2025.flight_day == date(2025, 2, 27)
    assert FEB_2025.committed_on_for(caro) == "2025-07-31"


def test_january_2026_is_37_people_27_without_a_capital_charge_committed_16_january() -> None:
    people = JAN_2026.defendants
    assert len(people) == 37
    assert sum(not d.capital for d in people) == 27
    assert {JAN_2026.committed_on_for(d) for d in people if d.capital} == {"2026-01-16"}
    assert JAN_2026.flight_day == date(2026, 1, 20)
    assert len(JAN_2026.aircraft) == 7


def test_august_2025_keeps_the_demo_group_of_26_committed_the_day_before_the_flight() -> None:
    names = {d.name for d in AUG_2025.defendants}
    assert len(names) == 26
    assert {"Roberto Salazar", "Abigael González Valencia", "Rosa A."} <= names
    salazar = next(d for d in AUG_2025.defendants if d.name == "Roberto Salazar")
    assert salazar.capital
    assert AUG_2025.committed_on_for(salazar) < AUG_2025.flight_day.isoformat()


def test_unnamed_people_are_labelled_placeholders() -> None:
    for scenario in (FEB_2025, JAN_2026):
        for person in scenario.defendants:
            if person.name != "Rafael Caro Quintero":
                assert person.name.endswith("(name withheld)"), person


@pytest.mark.parametrize("scenario", [FEB_2025, AUG_2025, JAN_2026], ids=lambda s: s.key)
def test_everyone_fits_the_aircraft_and_january_uses_seven_aircraft_to_six_cities(
    scenario: Scenario
) -> None:
    routes = TransportSettings().routes()
    travellers = []
    for index, person in enumerate(scenario.defendants):
        airport = routes.airport_for(person.district)
        assert airport is not None, person
        travellers.append(Traveller(f"c{index:02d}", airport.code))
    packing = pack(travellers, [AircraftOffer(a.aircraft, a.capacity)
                                for a in scenario.aircraft])
    assert packing.left_behind == ()
    if scenario is JAN_2026:
        assert len(packing.loads) == 7
        assert len({stop for load in packing.loads for stop in load.stops}) == 6


def test_instants_are_on_the_flight_day_in_mexico_city_and_live_moves_the_flight_to_today(
) -> None:
    # 11:00 in Mexico City on 27 Feb 2025 is 17:00 UTC: the handoff's legal date is the 27th.
    assert FEB_2025.at(11) == "2025-02-27T11:00:00-06:00"
    live = AUG_2025.live(today=date(2026, 12, 3))
    assert live.day(AUG_2025.flight_day) == "2026-12-03"
    assert live.committed_on_for(AUG_2025.defendants[0]) == "2026-12-02"


def test_make_run_picks_the_scenario_by_name_and_refuses_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    assert named(DemoSettings().scenario) is AUG_2025
    monkeypatch.setenv("RUNWAY_SCENARIO", "jan-2026")
    assert named(DemoSettings().scenario) is JAN_2026
    monkeypatch.setenv("RUNWAY_SCENARIO", "mar-2025")
    with pytest.raises(ValueError, match="unknown scenario 'mar-2025'"):
        DemoSettings()


@pytest.mark.parametrize("rule", [law.DEATH_PENALTY_CLEARANCE_MISSING,
                                  law.AMPARO_SUSPENSION_ACTIVE, law.PICKUP_WINDOW_EXPIRED,
                                  law.RELEASED_FROM_CUSTODY, law.SURRENDER_NOT_ORDERED],
                         ids=lambda r: r.id)
def test_a_reason_for_staying_is_the_registrys_statement(rule: Rule[Any]) -> None:
    assert transfer.why_held(rule.id) == rule.statement


def test_every_rule_of_the_service_books_reads_as_its_book_states_it() -> None:
    for book in books().values():
        for rule in book:
            stated = {b.statement(rule.id) for b in books().values() if rule.id in b}
            assert transfer.why_held(rule.id) in stated
    assert transfer.why_held("no_capacity") == "no capacity"  # a plan outcome, not a rule
