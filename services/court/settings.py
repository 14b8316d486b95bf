"""The court service's own configuration, read from the environment by the composition root.

INITIAL_APPEARANCE_LIMIT_HOURS (default 48): Rule 5 asks for the initial appearance "without
unnecessary delay"; an appearance held later than this after landing is flagged late, and
intakes still waiting past it are listed by GET /cases?overdue_appearance=true.
RETURN_TO_MEXICO_DUE_DAYS (default 0): days after the end of the US proceedings by which a
temporarily surrendered person is due back in Mexico.

`settings_of(runtime)` reads them once per runtime, lazily; tests hand in their own with
`configure(runtime, CourtSettings(...))` before using the runtime.
"""

from __future__ import annotations

from pydantic import Field

from shared.envsettings import EnvSettings
from shared.runtime_settings import per_runtime

from .domain import Policy


class CourtSettings(EnvSettings):
    initial_appearance_limit_hours: float = Field(
        default=48.0, gt=0, le=24 * 30, validation_alias="INITIAL_APPEARANCE_LIMIT_HOURS")
    return_to_mexico_due_days: int = Field(default=0, ge=0, le=365,
                                           validation_alias="RETURN_TO_MEXICO_DUE_DAYS")

    def policy(self) -> Policy:
        return Policy(initial_appearance_limit_hours=self.initial_appearance_limit_hours,
                      return_to_mexico_due_days=self.return_to_mexico_due_days)


configure, settings_of = per_runtime(CourtSettings)
