"""Counting days for legal clocks, and the configuration of the judicial rules (`Policy`).

Two ways a period is counted:

* the provisional-detention clock, started on day 0 by the arrest, runs out at the start of
  day N: `add_days(start, N)` is the first day on which the deadline has passed (Ovidio
  Guzmán: arrested 5 Jan 2023, last day 5 Mar, lapsed on 6 Mar). Calendar or business days
  for it is configuration (disputed in practice).
* a period "counted from the day after" an act (the amparo window: Amparo Law art. 18, from
  the day after the notification; the pickup window: LEI art. 35, from the day after the
  person is placed at the requesting state's disposal) has the act's next counted day as its
  day 1 and its Nth counted day as its last day; `closes_on(act, N)` is the day after that
  last day, the first day it is closed. The amparo window counts business days (art. 19:
  Saturdays, Sundays and the holidays of the calendar are not counted); the pickup window
  calendar days.

With business counting only Monday-Friday days that are not holidays are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from shared.legaltime import start_of_legal_day


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

    def closes_on(self, act_on: date, days: int) -> date:
        """The first day a period of `days`, counted from the day after `act_on`, is closed:
        the day after its last (Nth counted) day. An act on its last day is in time."""
        return self.add_days(act_on, days) + timedelta(days=1)


def start_of(day: date) -> datetime:
    """The instant a legal date begins: midnight in the legal time zone (LEGAL_TIMEZONE's
    default, America/Mexico_City), so an act dated the 5th has an instant on the 5th there
    (midnight UTC is still the 4th in Mexico City)."""
    return start_of_legal_day(day)


# Steps that may stop the provisional-detention clock (which one does is disputed).
CLOCK_STOPPERS = ("formal_request_received", "hearing_held", "consent_given")


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def mexican_holidays(years: range = range(2020, 2041)) -> frozenset[date]:
    """The days Mexican law does not count, as the default holiday calendar: those Amparo Law
    art. 19 lists (1 Jan, 5 Feb, 21 Mar, 1 and 5 May, 14 and 16 Sep, 12 Oct, 20 Nov,
    25 Dec) and the statutory rest days of the Federal Labour Law art. 74 on which federal
    courts close (first Monday of February, third Monday of March, third Monday of November,
    and 1 Oct of a presidential transition year). Days a court suspends its work are
    configuration (JUDICIAL_HOLIDAYS replaces this list)."""
    days: set[date] = set()
    for year in years:
        days |= {date(year, month, day) for month, day in (
            (1, 1), (2, 5), (3, 21), (5, 1), (5, 5), (9, 14), (9, 16), (10, 12), (11, 20),
            (12, 25))}
        days |= {_nth_weekday(year, 2, 0, 1), _nth_weekday(year, 3, 0, 3),
                 _nth_weekday(year, 11, 0, 3)}
        if (year - 2024) % 6 == 0:
            days.add(date(year, 10, 1))
    return frozenset(days)


MEXICAN_HOLIDAYS = mexican_holidays()


@dataclass(frozen=True)
class Policy:
    """The judicial rules' numbers and choices; built from JudicialSettings."""

    provisional_detention_days: int = 60
    provisional_clock_stopped_by: frozenset[str] = frozenset({"formal_request_received"})
    amparo_window_days: int = 30
    amparo_appeal_days: int = 10
    surrender_pickup_days: int = 60
    objections_days: int = 3
    evidence_days: int = 20
    day_counting: DayCounting = DayCounting.CALENDAR
    holidays: frozenset[date] = MEXICAN_HOLIDAYS

    @property
    def disputed_clock(self) -> Calendar:
        """How the provisional-detention clock counts days (configuration: disputed)."""
        return Calendar(self.day_counting, self.holidays)

    @property
    def amparo_window(self) -> Calendar:
        """The amparo window counts business days (Amparo Law art. 19), whatever the
        provisional clock does."""
        return Calendar(DayCounting.BUSINESS, self.holidays)

    @property
    def calendar(self) -> Calendar:
        return Calendar()
