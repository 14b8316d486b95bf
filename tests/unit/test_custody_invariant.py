"""`runway audit verify`'s custody invariant: a judicial release on or after the legal date of
the case's handover to the US is a false record (issue 14); one before it is not."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.audit.custody import CustodyCheck
from shared.eventstore import NewEvent, RecordedEvent
from shared.legaltime import DEFAULT_LEGAL_TIMEZONE
from tests.support.stored import as_recorded

CASE = "RWY-CUSTODY1"
HANDOVER_AT = datetime(2025, 8, 12, 15, tzinfo=UTC)  # 09:00 in Mexico City, 12 Aug


def _handover() -> list[RecordedEvent]:
    event = NewEvent("transport.custody_transferred", {"case_id": CASE, "flight_id": "F-1"},
                     occurred_at=HANDOVER_AT)
    return as_recorded([event], stream_id=CASE, stream_type="transport_case", at=HANDOVER_AT)


def _release(at: datetime) -> list[RecordedEvent]:
    event = NewEvent("judicial.released_from_custody", {"case_id": CASE}, occurred_at=at)
    return as_recorded([event], stream_id=CASE, stream_type="judicial_case",
                       at=datetime(2026, 12, 3, tzinfo=UTC))


def _check(release_at: datetime) -> list[str]:
    check = CustodyCheck(DEFAULT_LEGAL_TIMEZONE)
    check.see(_release(release_at))  # read before transport's store: order does not matter
    check.see(_handover())
    return [v.problem for v in check.violations()]


def test_a_release_after_the_handover_is_a_violation_naming_both_dates() -> None:
    [problem] = _check(datetime(2025, 9, 26, 6, tzinfo=UTC))
    assert "2025-09-26" in problem and "2025-08-12" in problem


def test_a_release_the_same_legal_day_as_the_handover_is_a_violation() -> None:
    assert _check(datetime(2025, 8, 12, 23, tzinfo=UTC))  # 17:00 local, the 12th


def test_a_release_before_the_handover_is_not() -> None:
    # A provisional detention lapsed in June; the case went on to a handover in August.
    assert _check(datetime(2025, 6, 1, 12, tzinfo=UTC)) == []


def test_a_release_judicial_voided_with_the_late_handover_is_not() -> None:
    """The scheduler released the person at the expiry (26 Sep) before transport's custody
    transfer of 12 Aug reached judicial; judicial then voided the expiry and its release."""
    void = NewEvent("judicial.pickup_expiry_voided", {
        "case_id": CASE, "deadline_on": "2025-09-26", "release_voided": True},
        occurred_at=HANDOVER_AT)
    check = CustodyCheck(DEFAULT_LEGAL_TIMEZONE)
    check.see(_release(datetime(2025, 9, 26, 6, tzinfo=UTC)))
    check.see(_handover())
    assert check.violations()
    check.see(as_recorded([void], stream_id=CASE, stream_type="judicial_case",
                          at=datetime(2026, 12, 3, tzinfo=UTC), start_version=2))
    assert check.violations() == []
