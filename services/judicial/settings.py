"""The judicial service's own configuration, read from the environment by the composition root.

`settings_of(runtime)` reads it once per runtime, lazily; tests hand in their own with
`configure(runtime, JudicialSettings(...))` before using the runtime.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Literal

from pydantic import Field

from shared.envsettings import EnvSettings
from shared.runtime_settings import per_runtime

from .days import MEXICAN_HOLIDAYS, DayCounting, Policy

Stopper = Literal["formal_request_received", "hearing_held", "consent_given"]


def _default_stopper() -> list[Stopper]:
    return ["formal_request_received"]


class JudicialSettings(EnvSettings):
    provisional_detention_days: int = Field(default=60, ge=1, le=365,
                                            validation_alias="PROVISIONAL_DETENTION_DAYS")
    # A JSON list, e.g. '["hearing_held", "consent_given"]'; the first of these steps
    # recorded before the deadline stops the clock.
    provisional_clock_stopped_by: list[Stopper] = Field(
        default_factory=_default_stopper, min_length=1,
        validation_alias="PROVISIONAL_CLOCK_STOPPED_BY")
    amparo_window_days: int = Field(default=30, ge=1, le=365,
                                    validation_alias="AMPARO_WINDOW_DAYS")
    amparo_appeal_days: int = Field(default=10, ge=1, le=60,
                                    validation_alias="AMPARO_APPEAL_DAYS")
    surrender_pickup_days: int = Field(default=60, ge=1, le=365,
                                       validation_alias="SURRENDER_PICKUP_DAYS")
    objections_days: int = Field(default=3, ge=1, le=60, validation_alias="OBJECTIONS_DAYS")
    evidence_days: int = Field(default=20, ge=1, le=365, validation_alias="EVIDENCE_DAYS")
    day_counting: DayCounting = Field(default=DayCounting.CALENDAR,
                                      validation_alias="JUDICIAL_DAY_COUNTING")
    # A JSON list of ISO dates skipped by business-day counting (the amparo window, and the
    # provisional clock when it counts business days). The default is Mexico's statutory
    # holidays (days.mexican_holidays); a list given here replaces it, so add the days a
    # court suspends its work to the statutory ones.
    holidays: list[date] = Field(default_factory=lambda: sorted(MEXICAN_HOLIDAYS),
                                 validation_alias="JUDICIAL_HOLIDAYS")
    scheduler_interval_s: float = Field(default=1.0, gt=0, le=3600,
                                        validation_alias="SCHEDULER_INTERVAL_S")
    # A clock already run out when recorded (entered after the fact) fires only this long
    # after its recording, so the acts that stopped it in time can be entered first.
    backfill_grace_hours: float = Field(default=72, ge=0, le=24 * 90,
                                        validation_alias="JUDICIAL_BACKFILL_GRACE_HOURS")

    @property
    def backfill_grace(self) -> timedelta:
        return timedelta(hours=self.backfill_grace_hours)

    def policy(self) -> Policy:
        """Each field of the policy is the setting of the same name; the lists become sets.
        A policy field without its setting fails here, the first time the policy is built."""
        values = {field.name: getattr(self, field.name) for field in fields(Policy)}
        values["provisional_clock_stopped_by"] = frozenset(self.provisional_clock_stopped_by)
        values["holidays"] = frozenset(self.holidays)
        return Policy(**values)


configure, settings_of = per_runtime(JudicialSettings)
