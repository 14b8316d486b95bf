"""Time as a dependency, so rules with clocks can be tested by moving time, not by waiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime read back from a database to aware UTC.

    SQLite returns naive datetimes; we only ever write UTC, so naive means UTC.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """The one textual form of an instant used in hashes and on the wire."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_instant(value: datetime | None) -> str | None:
    """An instant as a case view answers it (iso_utc), or None when there is none."""
    return None if value is None else iso_utc(value)


def iso_day(value: date | None) -> str | None:
    """A day as a case view answers it (ISO 8601, 2025-08-12), or None when there is none."""
    return None if value is None else value.isoformat()


def parse_iso_utc(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
