"""A request's legal date (issue 13): the date of the US request or of the diplomatic note,
given by the operator; the request_submitted event happened then, not when it was typed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from services.intake.domain import ClearRequest, check_request, submitted
from services.intake.events import RequestSubmitted
from shared.pii.sealing import Sealed
from tests.support.requests import request

TODAY = date(2025, 8, 12)
SEALED = Sealed(nonce="bm9uY2Vub25jZTEy", ciphertext="Y2lwaGVydGV4dGFuZHRhZ3RhZw")


def clear(**overrides: object) -> ClearRequest:
    return ClearRequest.model_validate({"case_id": "RWY-1", **request(), **overrides})


def test_the_request_happened_on_its_legal_date_in_the_legal_time_zone() -> None:
    [event] = submitted(clear(requested_on="2025-07-30"), "PER-1", SEALED)
    # 00:00 in Mexico City on 30 July is 06:00 UTC: the day is the legal day, not UTC's.
    assert event.occurred_at == datetime(2025, 7, 30, 6, 0, tzinfo=UTC)
    assert event.payload["requested_on"] == "2025-07-30"


def test_the_request_happened_at_the_start_of_its_day_in_the_configured_zone(
    legal_timezone: Callable[[str | None], None],
) -> None:
    legal_timezone("America/Tijuana")
    [event] = submitted(clear(requested_on="2025-07-30"), "PER-1", SEALED)
    # Tijuana is on UTC-7 in July: its 30 July starts at 07:00 UTC.
    assert event.occurred_at == datetime(2025, 7, 30, 7, 0, tzinfo=UTC)


def test_without_a_legal_date_the_request_counts_from_its_entry() -> None:
    [event] = submitted(clear(), "PER-1", SEALED)
    assert event.occurred_at is None  # the store stamps the moment it records it
    assert event.payload["requested_on"] is None


def test_a_legal_date_after_today_is_refused_naming_the_field() -> None:
    found = {(p.loc, p.rule) for p in check_request(clear(requested_on="2025-08-13"), TODAY)}
    assert found == {(("requested_on",), "date_in_future")}
    assert check_request(clear(requested_on="2025-08-12"), TODAY) == []


def test_requests_recorded_before_the_legal_date_existed_still_read() -> None:
    [event] = submitted(clear(), "PER-1", SEALED)
    old = {k: v for k, v in event.payload.items() if k != "requested_on"}
    assert RequestSubmitted.model_validate(old).requested_on is None
