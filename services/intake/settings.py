"""Intake's own configuration, read from the environment by the composition root.

`settings_of(runtime)` reads it once per runtime, lazily; tests hand in their own with
`configure(runtime, IntakeSettings(...))` before using the runtime.
"""

from __future__ import annotations

from pydantic import Field

from shared.envsettings import EnvSettings
from shared.runtime_settings import per_runtime


class IntakeSettings(EnvSettings):
    # How often the erasure reconciler looks for erasures whose event is missing, and how old
    # an erasure must be before it does (an erasure request still in flight is left alone).
    erasure_reconcile_interval_s: float = Field(
        default=30.0, gt=0, le=3600, validation_alias="ERASURE_RECONCILE_INTERVAL_S")
    erasure_reconcile_after_s: float = Field(
        default=60.0, ge=0, le=86400, validation_alias="ERASURE_RECONCILE_AFTER_S")


configure, settings_of = per_runtime(IntakeSettings)
