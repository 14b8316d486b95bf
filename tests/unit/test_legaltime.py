"""Legal dates are days in the legal time zone (default America/Mexico_City), not in UTC."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.legaltime import (
    LegalTimeSettings,
    legal_date,
    legal_day_of,
    legal_zone_name,
    start_of_legal_day,
)


def test_a_handoff_at_half_past_eleven_at_night_local_is_that_day_not_the_next() -> None:
    # 23:30 in Mexico City (UTC-6, no DST since 2022) on 20 Jan 2026 is 05:30 UTC on the 21st.
    handoff = datetime(2026, 1, 21, 5, 30, tzinfo=UTC)
    assert legal_date(handoff) == date(2026, 1, 20)
    assert legal_date(datetime(2026, 1, 21, 6, 0, tzinfo=UTC)) == date(2026, 1, 21)


def test_the_legal_day_starts_at_local_midnight() -> None:
    start = start_of_legal_day(date(2026, 1, 20))
    assert start == datetime(2026, 1, 20, 6, 0, tzinfo=UTC)
    assert legal_date(start) == date(2026, 1, 20)


def test_another_legal_timezone_can_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGAL_TIMEZONE", "America/Tijuana")
    assert LegalTimeSettings().legal_timezone == "America/Tijuana"
    monkeypatch.setenv("LEGAL_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="is not a time zone"):
        LegalTimeSettings()


def test_every_legal_date_is_a_day_in_the_configured_zone_and_an_unknown_one_is_refused(
    legal_timezone: Callable[[str | None], None],
) -> None:
    # 23:30 on 20 January in Tijuana (UTC-8) is 01:30 on the 21st in Mexico City (UTC-6).
    handoff = datetime(2026, 1, 21, 7, 30, tzinfo=UTC)
    legal_timezone(None)
    assert legal_zone_name() == "America/Mexico_City"
    assert legal_date(handoff) == date(2026, 1, 21)
    legal_timezone("America/Tijuana")
    assert legal_zone_name() == "America/Tijuana"
    assert legal_date(handoff) == date(2026, 1, 20)
    assert legal_day_of("2026-01-21T07:30:00Z") == date(2026, 1, 20)
    assert start_of_legal_day(date(2026, 1, 20)) == datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    legal_timezone("Mars/Olympus")
    with pytest.raises(ValidationError, match="LEGAL_TIMEZONE 'Mars/Olympus'"):
        legal_date(handoff)


def test_an_empty_legal_timezone_means_the_default_everywhere(
    legal_timezone: Callable[[str | None], None],
) -> None:
    legal_timezone("")
    assert LegalTimeSettings().legal_timezone == "America/Mexico_City"
    assert legal_zone_name() == "America/Mexico_City"


@pytest.mark.parametrize(("value", "day"), [
    ("2026-01-20", date(2026, 1, 20)),
    ("2026-01-21T05:30:00Z", date(2026, 1, 20)),
    ("2026-01-21T05:30:00.000000+00:00", date(2026, 1, 20)),
    ("2026-01-21T06:00:00Z", date(2026, 1, 21)),
    (datetime(2026, 1, 21, 5, 30, tzinfo=UTC), date(2026, 1, 20)),
    (date(2026, 1, 21), date(2026, 1, 21)),
])
def test_a_payload_s_date_or_instant_stands_for_a_legal_date(value: date | str, day: date) -> None:
    from shared.legaltime import legal_day_of

    assert legal_day_of(value, "America/Mexico_City") == day


async def test_a_service_with_an_unknown_legal_time_zone_stops_before_it_serves(
    legal_timezone: Callable[[str | None], None],
) -> None:
    from shared.infra.stack import discover_services
    from shared.web.serve import _serve

    legal_timezone("Mars/Olympus")
    with pytest.raises(SystemExit, match="LEGAL_TIMEZONE 'Mars/Olympus' is not a time zone"):
        await _serve(discover_services()[0])


RUNNERS = [
    (["runway-stack", "up", "--no-hold", "--start-broker"], "runway-stack"),
    (["runway-stack", "up", "--no-hold", "--replicas", "2"], "runway-stack"),
    (["python", "-m", "shared.infra.cluster", "up", "--no-hold"], "cluster"),
    (["python", "-m", "shared.chaos.run", "--kills", "1", "--cases", "1"], "chaos"),
]


@pytest.mark.parametrize(("command", "name"), RUNNERS)
def test_the_runners_refuse_an_unknown_zone_before_starting_anything(
        command: list[str], name: str) -> None:
    program = sys.executable if command[0] == "python" else str(
        Path(sys.executable).parent / command[0])
    done = subprocess.run([program, *command[1:]], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LEGAL_TIMEZONE": "Mars/Olympus"}, check=False)

    assert done.returncode == 1
    assert done.stderr.strip() == (f"{name}: LEGAL_TIMEZONE 'Mars/Olympus' is not a time "
                                   "zone of the tz database (e.g. America/Mexico_City)")
    assert done.stdout == ""  # no broker, service or cluster was started
