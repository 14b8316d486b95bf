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
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from shared.envsettings import EnvSettings

DEFAULT_LEGAL_TIMEZONE = "America/Mexico_City"


class LegalTimeSettings(EnvSettings):
    # An empty LEGAL_TIMEZONE (`LEGAL_TIMEZONE= runway audit …`) means the default zone, for
    # the services and the audit tools alike.
    model_config = SettingsConfigDict(env_ignore_empty=True)

    legal_timezone: str = Field(default=DEFAULT_LEGAL_TIMEZONE,
                                validation_alias="LEGAL_TIMEZONE")

    @field_validator("legal_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            _zone(value)
        except (ZoneInfoNotFoundError, ModuleNotFoundError, ValueError) as unknown:
            raise ValueError(f"LEGAL_TIMEZONE {value!r} is not a time zone of the tz "
                             "database (e.g. America/Mexico_City)") from unknown
        return value


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def legal_zone_name() -> str:
    """This process's legal time zone: LEGAL_TIMEZONE (default America/Mexico_City), checked
    against the tz database. Every legal date a service, the console or the audit tools
    compute is a day in it, so it is read once per process (the services read it as they
    start, so a zone that names none stops them there, naming the variable). A test that
    sets LEGAL_TIMEZONE clears this cache (tests/conftest.py does before every test)."""
    return LegalTimeSettings().legal_timezone  # an unknown zone raises, naming it


def legal_zone_refusal() -> str | None:
    """The one line that refuses LEGAL_TIMEZONE when it names no zone, else None: what the
    commands and runners print before any work, instead of failing on the first legal date."""
    try:
        legal_zone_name()
    except ValidationError as error:
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return None


def stop_unless_legal_zone(program: str) -> None:
    """Stop `program` (a runner, a service, the console) with that line before it starts
    anything, when LEGAL_TIMEZONE names no zone."""
    refusal = legal_zone_refusal()
    if refusal:
        raise SystemExit(f"{program}: {refusal}")


def zone(name: str | None = None) -> ZoneInfo:
    """The time zone `name`, by default the legal time zone."""
    return _zone(name or legal_zone_name())


def legal_date(instant: datetime, zone_name: str | None = None) -> date:
    """The legal date of an instant: its calendar day in the legal time zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone(zone_name)).date()


def legal_day_of(value: date | datetime | str, zone_name: str | None = None) -> date:
    """The legal date a payload's date or instant stands for: a date is itself; an instant
    (or its ISO text, Z or offset) is its day in the legal time zone."""
    if isinstance(value, str):
        if len(value) == 10:
            return date.fromisoformat(value)
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return legal_date(value, zone_name)
    return value


def start_of_legal_day(day: date, zone_name: str | None = None) -> datetime:
    """The first instant of a legal date, in UTC: the instant an act dated only by its day
    is taken to have happened at."""
    return datetime.combine(day, time.min, tzinfo=zone(zone_name)).astimezone(UTC)


class TimelineOrder(StrEnum):
    """The two axes a timeline can be read along."""

    LEGAL = "legal"         # when the acts happened in law (occurred_at)
    RECORDED = "recorded"   # when Runway learned of them (recorded_at)


def timeline_key(order: TimelineOrder, occurred_at: datetime, recorded_at: datetime,
                 stream_version: int, source: str = "") -> tuple[datetime, datetime, str, int]:
    """The sort key of one timeline entry. By legal time: occurred_at, ties by recorded_at,
    then the stream's version (a stream's own events keep their order); by recorded time:
    recorded_at, ties by the stream's version. `source` (the service) separates two
    services' events recorded at the same instant, so the order never depends on how they
    were read."""
    if order is TimelineOrder.RECORDED:
        return (recorded_at, recorded_at, source, stream_version)
    return (occurred_at, recorded_at, source, stream_version)
