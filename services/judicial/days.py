"""Counting days for legal clocks, and the configuration of the judicial rules (`Policy`).

A clock started on day 0 by some act (an arrest, a notification) runs out at the start of
day N: `add_days(start, N)` is the first day on which the deadline has passed. With calendar
counting day N is simply start + N; with business counting only Monday-Friday days that are
not holidays are counted. Which counting applies to the disputed clocks (provisional
detention, amparo window) is configuration; the pickup window is always calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class DayCounting(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"


@dataclass(frozen=True)
class Calendar:
    counting: DayCounting = DayCounting.CALENDAR
    holidays: frozenset[date] = frozenset()

    def counts(self, day: date) -> bool:
        if self.counting is DayCounting.CALENDAR:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_days(self, start: date, days: int) -> date:
        """The day on which `days` counted days after `start` have elapsed."""
        if self.counting is DayCounting.CALENDAR:
            return start + timedelta(days=days)
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.counts(day)
        return day


def start_of(day: date) -> datetime:
    """The instant a day begins. Legal dates are read as UTC days."""
    return datetime.combine(day, time(0), tzinfo=UTC)


# Steps that may stop the provisional-detention clock (which one does is disputed).
CLOCK_STOPPERS = ("formal_request_received", "hearing_held", "consent_given")


@dataclass(frozen=True)
class Policy:
    """The judicial rules' numbers and choices; built from JudicialSettings."""

    provisional_detention_days: int = 60
    provisional_clock_stopped_by: frozenset[str] = frozenset({"formal_request_received"})
    amparo_window_days: int = 30
    surrender_pickup_days: int = 60
    objections_days: int = 3
    evidence_days: int = 20
    day_counting: DayCounting = DayCounting.CALENDAR
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def disputed_clock(self) -> Calendar:
        """How the provisional-detention and amparo-window clocks count days."""
        return Calendar(self.day_counting, self.holidays)

    @property
    def calendar(self) -> Calendar:
        return Calendar()
