"""The three real mass transfers, as scenarios entered after the fact with their legal dates.

Each scenario is what a clerk would enter today about a transfer that already happened: every
act carries the date of its document (the authorisation, the DOJ's commitment, the custody
handoff, the landing), not the moment it is typed in. Public reporting (the seed article and
the domain brief) names a few people; everyone else is a clearly labelled placeholder, and so
is any date the reporting does not give to the day.

- feb-2025: 29 people on 27 Feb 2025 on the national-security basis, Rafael Caro Quintero among
  them (arraigned in Brooklyn, EDNY, the next day). His capital case's DOJ commitment not to
  seek death came about five months after the flight: the one transfer assurance flags.
- aug-2025: the 26 of 12 Aug 2025 (shared/demo/defendants.py), the DOJ's commitment made the
  day before the flight; four treaty cases, two of which stay in Mexico.
- jan-2026: 37 people on 20 Jan 2026, on 7 aircraft to 6 US cities; DOJ commitments of
  16 Jan 2026 for the 10 capital cases, 27 with no capital charge at all. Nothing is flagged.

`live()` moves a scenario's dates so that its flight is today (what the demo did before it
entered transfers after the fact); the e2e tests of the surrender-to-courtroom path use it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from pydantic import Field, field_validator

from services.transport.planning import AircraftOffer as Aircraft  # what transport plans with
from shared.envsettings import EnvSettings
from shared.legaltime import legal_date, zone

from .defendants import DEFENDANTS, NATIONAL_SECURITY, Defendant


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    flight_day: date
    defendants: tuple[Defendant, ...]
    aircraft: tuple[Aircraft, ...]
    reference_prefix: str
    us_request: str
    authority: str
    authorized_on: date  # the national-security transfer authorisations
    committed_on: date  # the DOJ's commitments for capital cases, unless a defendant has its own
    commitment_reference: str
    requested_on: date  # the US written request of the national-security cases
    departure_base: str = "Mexico City (AIFA)"
    shift_days: int = 0  # live(): every date moved by this many days
    live_clock: bool = False  # live(): instants are "now" rather than the flight day's hours

    def day(self, legal: date) -> str:
        """A legal date as the APIs take it, moved with the scenario."""
        return (legal + timedelta(days=self.shift_days)).isoformat()

    def before_flight(self, days: int) -> str:
        return self.day(self.flight_day - timedelta(days=days))

    def at(self, hour: int, minute: int = 0, legal: date | None = None) -> str:
        """An instant on the flight day (or `legal`), in the legal time zone (Mexico City)."""
        if self.live_clock:
            return datetime.now(UTC).isoformat()
        day = (legal or self.flight_day) + timedelta(days=self.shift_days)
        return datetime.combine(day, time(hour, minute), tzinfo=zone()).isoformat()

    def committed_on_for(self, defendant: Defendant) -> str:
        return self.day(defendant.committed_on or self.committed_on)

    def live(self, today: date | None = None) -> Scenario:
        """The same scenario with its flight today and its instants taken when entered."""
        today = today or legal_date(datetime.now(UTC))
        return replace(self, shift_days=(today - self.flight_day).days, live_clock=True,
                       title=self.title.replace("entered after the fact", "played live today"))


def _placeholder(index: int, district: str, offence: str = "drug trafficking conspiracy",
                 capital: bool = False) -> Defendant:
    """Someone the public reporting does not name."""
    return Defendant(f"Defendant {index:02d}", "(name withheld)", district, NATIONAL_SECURITY,
                     capital=capital, offence=offence)


# --- 27 February 2025 ------------------------------------------------------------------------

# The no-death direction for Caro Quintero came about five months after the flight (July 2025
# per the domain brief; the exact day is not in our sources, so the month's last day stands in).
CARO_QUINTERO_COMMITMENT = date(2025, 7, 31)
_FEB_DISTRICTS = ("EDNY", "SDNY", "DDC", "WDTX", "SDTX", "NDIL", "CDCA", "SDCA")

FEB_2025 = Scenario(
    key="feb-2025",
    title="the 27 February 2025 transfer of 29 people (feb-2025, entered after the fact)",
    flight_day=date(2025, 2, 27),
    defendants=(
        Defendant("Rafael", "Caro Quintero", "EDNY", NATIONAL_SECURITY, capital=True,
                  offence="1985 murder of DEA agent Enrique Camarena",
                  committed_on=CARO_QUINTERO_COMMITMENT),
        *(_placeholder(i, _FEB_DISTRICTS[i % len(_FEB_DISTRICTS)]) for i in range(2, 30)),
    ),
    aircraft=(Aircraft("Mexican government aircraft 1 (registration not public)", 12),
              Aircraft("Mexican government aircraft 2 (registration not public)", 12),
              Aircraft("Mexican government aircraft 3 (registration not public)", 12)),
    reference_prefix="FEB2025",
    us_request="US written request of Feb 2025 (date not public)",
    authority="Gabinete de Seguridad (SSPC / FGR)",
    authorized_on=date(2025, 2, 27),
    committed_on=CARO_QUINTERO_COMMITMENT,
    commitment_reference="DOJ no-death direction for Caro Quintero (Jul 2025)",
    # The request's day is not public: the authorisation's day stands in, so a timeline in
    # legal order still puts the request before the transfer.
    requested_on=date(2025, 2, 27),
)

# --- 12 August 2025 --------------------------------------------------------------------------

AUG_2025 = Scenario(
    key="aug-2025",
    title="the 12 August 2025 transfer of 26 people (aug-2025, entered after the fact)",
    flight_day=date(2025, 8, 12),
    defendants=DEFENDANTS,
    aircraft=(Aircraft("FAM 3526 (Boeing 737-800)", 14),
              Aircraft("JPATS N-5025 (Boeing 737-400)", 14)),
    reference_prefix="AUG2025",
    us_request="US written request of 11 Aug 2025",
    authority="Gabinete de Seguridad (SSPC / FGR)",
    authorized_on=date(2025, 8, 11),
    committed_on=date(2025, 8, 11),
    commitment_reference="DOJ letter of 11 Aug 2025",
    requested_on=date(2025, 8, 11),
)

# --- 20 January 2026 -------------------------------------------------------------------------

# Six US cities: the districts whose arrival airports are JFK, IAD, SAT, IAH, LAX and SAN.
_JAN_PEOPLE = (("EDNY", 6), ("SDNY", 3), ("DDC", 7), ("WDTX", 6), ("SDTX", 6), ("CDCA", 5),
               ("SDCA", 4))
_JAN_CAPITAL = 10  # the first ten (every fourth placeholder); 27 have no capital charge


def _january() -> tuple[Defendant, ...]:
    districts = [d for d, n in _JAN_PEOPLE for _ in range(n)]
    capital = set(range(1, 4 * _JAN_CAPITAL, 4))
    return tuple(_placeholder(i, district, offence="murder in aid of racketeering"
                              if i in capital else "drug trafficking conspiracy",
                              capital=i in capital)
                 for i, district in enumerate(districts, start=1))


JAN_2026 = Scenario(
    key="jan-2026",
    title="the 20 January 2026 transfer of 37 people (jan-2026, entered after the fact)",
    flight_day=date(2026, 1, 20),
    defendants=_january(),
    aircraft=tuple(Aircraft(f"Mexican government aircraft {n} (registration not public)", 6)
                   for n in range(1, 8)),
    reference_prefix="JAN2026",
    us_request="US written request of Jan 2026 (date not public)",
    authority="Gabinete de Seguridad (SSPC / FGR)",
    authorized_on=date(2026, 1, 19),
    committed_on=date(2026, 1, 16),
    commitment_reference="DOJ commitments of 16 Jan 2026",
    requested_on=date(2026, 1, 16),  # not public: the commitments' day stands in
)

SCENARIOS: dict[str, Scenario] = {s.key: s for s in (FEB_2025, AUG_2025, JAN_2026)}
DEFAULT = AUG_2025.key


def named(key: str) -> Scenario:
    found = SCENARIOS.get(key)
    if found is None:
        raise ValueError(f"unknown scenario {key!r}: choose one of {', '.join(SCENARIOS)}")
    return found


class DemoSettings(EnvSettings):
    """Which scenario `make run` plays: `make run SCENARIO=feb-2025` sets RUNWAY_SCENARIO."""

    scenario: str = Field(default=DEFAULT, validation_alias="RUNWAY_SCENARIO")

    @field_validator("scenario")
    @classmethod
    def _known(cls, value: str) -> str:
        named(value)
        return value
