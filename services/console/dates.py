"""Dates and times as the user reads them: legal dates as dates, recorded instants in legal time.

Two kinds of time are shown, and they are never mixed:
- a legal date (an act's day: ordered_on, due_on, an event's legal date) is a calendar day in
  LEGAL_TIMEZONE already; it is formatted as it is, never converted (a UTC conversion would show
  the evening before in Mexico City);
- a recorded instant (recorded_at, updated_at, a flight's departure) is a moment; it is shown in
  LEGAL_TIMEZONE with the zone's abbreviation, so a clerk in Mexico City and a marshal reading the
  same page see the same wall-clock time and know which one it is.

The formats follow each language's usual short style (en: "Dec 4, 2026, 2:05 PM CST"; es:
"4 dic 2026, 14:05 CST"). A value that is not a date is shown as it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}


@dataclass(frozen=True)
class Dates:
    """The formatting of one page: the user's language and the legal time zone."""

    language: str
    timezone: str

    def day(self, value: str | date | None) -> str:
        """A legal date, e.g. "Dec 4, 2026" / "4 dic 2026"."""
        if not value:
            return "—"
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        month = MONTHS.get(self.language, MONTHS["en"])[day.month - 1]
        if self.language == "es":
            return f"{day.day} {month} {day.year}"
        return f"{month} {day.day}, {day.year}"

    def instant(self, value: str | datetime | None) -> str:
        """A recorded instant in legal time with its zone, e.g. "Dec 4, 2026, 2:05 PM CST"."""
        moment = self.moment(value)
        if moment is None:
            return "—" if not value else str(value)
        zone = moment.tzname() or self.timezone
        if self.language == "es":
            clock = f"{moment.hour:02d}:{moment.minute:02d}"
        else:
            clock = f"{moment.hour % 12 or 12}:{moment.minute:02d} " \
                    f"{'AM' if moment.hour < 12 else 'PM'}"
        return f"{self.day(moment.date())}, {clock} {zone}"

    def moment(self, value: str | datetime | None) -> datetime | None:
        """The instant in legal time (a naive value is taken as UTC, as the APIs send)."""
        if not value:
            return None
        try:
            moment = value if isinstance(value, datetime) else \
                datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(self.timezone))
