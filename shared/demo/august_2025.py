"""The main job's entry point (`runway-stack up --scenario`, i.e. `make run`) and the 12 August
2025 transfer's single steps.

`run` enters the scenario RUNWAY_SCENARIO names (`make run SCENARIO=feb-2025|aug-2025|jan-2026`,
default aug-2025) after the fact with its real dates; see shared/demo/scenarios.py. The single
steps (used by the transfer bench) play August 2025 live, dated today.
"""

from __future__ import annotations

from . import transfer
from .api import Api
from .scenarios import AUG_2025, DemoSettings, Scenario, named
from .transfer import Person, Say, open_court_intakes, summary

__all__ = ["DEPARTURE_BASE", "Person", "chosen", "fly", "national_security_path",
           "open_court_intakes", "run", "summary"]

DEPARTURE_BASE = AUG_2025.departure_base


async def national_security_path(api: Api, person: Person) -> None:
    await transfer.national_security_path(api, AUG_2025.live(), person)


async def fly(api: Api, flights: list[str], people: list[Person], say: Say) -> None:
    await transfer.fly(api, AUG_2025.live(), flights, people, say)


def chosen() -> Scenario:
    """The scenario RUNWAY_SCENARIO names (default aug-2025)."""
    return named(DemoSettings().scenario)


async def run(urls: dict[str, str], say: Say = print,
              scenario: Scenario | None = None) -> list[Person]:
    return await transfer.run(urls, scenario or chosen(), say)
