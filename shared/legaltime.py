"""Legal time: the date an act counts on in law, as distinct from when Runway recorded it.

Every event carries two times: `occurred_at`, the legal instant of the act (from the document:
the hearing's date, the custody handoff's instant), and `recorded_at`, when Runway stored it.
Legal rules compare legal dates; "entered late" is a clerical fact, never a legal flag.

An instant becomes a legal date in the legal time zone (LEGAL_TIMEZONE, default
America/Mexico_City, where the Mexican acts and the handovers take place): a custody handoff at
23:30 local time on the 20th is the 20th, though it is the 21st in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LEGAL_TIMEZONE = "America/Mexico_City"


class LegalTimeSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    legal_timezone: str = Field(default=DEFAULT_LEGAL_TIMEZONE,
                                validation_alias="LEGAL_TIMEZONE")

    @field_validator("legal_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except (ZoneInfoNotFoundError, ModuleNotFoundError, ValueError) as unknown:
            raise ValueError(f"LEGAL_TIMEZONE {value!r} is not a time zone of the tz "
                             "database (e.g. America/Mexico_City)") from unknown
        return value


@lru_cache(maxsize=16)
def zone(name: str = DEFAULT_LEGAL_TIMEZONE) -> ZoneInfo:
    return ZoneInfo(name)


def legal_date(instant: datetime, zone_name: str = DEFAULT_LEGAL_TIMEZONE) -> date:
    """The legal date of an instant: its calendar day in the legal time zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone(zone_name)).date()


def start_of_legal_day(day: date, zone_name: str = DEFAULT_LEGAL_TIMEZONE) -> datetime:
    """The first instant of a legal date, in UTC: the instant an act dated only by its day
    is taken to have happened at."""
    return datetime.combine(day, time.min, tzinfo=zone(zone_name)).astimezone(UTC)
