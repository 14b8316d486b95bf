"""Dates as the user reads them: legal dates as they are, recorded instants in legal time."""

from __future__ import annotations

from services.console.dates import Dates

MEXICO = "America/Mexico_City"


def test_a_legal_date_is_shown_in_the_users_language_and_never_shifted() -> None:
    assert Dates("en", MEXICO).day("2026-12-04") == "Dec 4, 2026"
    assert Dates("es", MEXICO).day("2026-12-04") == "4 dic 2026"
    assert Dates("es", MEXICO).day("2026-09-01") == "1 sept 2026"
    assert Dates("en", MEXICO).day(None) == "—"
    assert Dates("en", MEXICO).day("not a date") == "not a date"


def test_a_recorded_instant_is_shown_in_legal_time_with_its_zone() -> None:
    # 02:30 UTC on Dec 5 is still the evening of Dec 4 in Mexico City.
    assert Dates("en", MEXICO).instant("2026-12-05T02:30:00Z") == "Dec 4, 2026, 8:30 PM CST"
    assert Dates("es", MEXICO).instant("2026-12-05T02:30:00+00:00") == "4 dic 2026, 20:30 CST"
    assert Dates("en", "UTC").instant("2026-12-05T00:05:00") == "Dec 5, 2026, 12:05 AM UTC"
