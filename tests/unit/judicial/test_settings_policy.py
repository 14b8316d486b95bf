"""What the environment configures is what the judicial rules count with."""

from __future__ import annotations

import pytest

from services.judicial.days import DayCounting, Policy
from services.judicial.settings import JudicialSettings

from .support import d


def test_every_judicial_period_set_in_the_environment_reaches_the_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"PROVISIONAL_DETENTION_DAYS": "45",
                        "PROVISIONAL_CLOCK_STOPPED_BY": '["hearing_held", "consent_given"]',
                        "AMPARO_WINDOW_DAYS": "25", "AMPARO_APPEAL_DAYS": "8",
                        "SURRENDER_PICKUP_DAYS": "50", "OBJECTIONS_DAYS": "4",
                        "EVIDENCE_DAYS": "15", "JUDICIAL_DAY_COUNTING": "business",
                        "JUDICIAL_HOLIDAYS": '["2026-03-10", "2026-03-11"]'}.items():
        monkeypatch.setenv(name, value)
    assert JudicialSettings().policy() == Policy(
        provisional_detention_days=45,
        provisional_clock_stopped_by=frozenset({"hearing_held", "consent_given"}),
        amparo_window_days=25, amparo_appeal_days=8, surrender_pickup_days=50,
        objections_days=4, evidence_days=15, day_counting=DayCounting.BUSINESS,
        holidays=frozenset({d("2026-03-10"), d("2026-03-11")}))


def test_unset_the_rules_count_with_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in JudicialSettings.model_fields.values():
        if isinstance(field.validation_alias, str):
            monkeypatch.delenv(field.validation_alias, raising=False)
    assert JudicialSettings().policy() == Policy()
