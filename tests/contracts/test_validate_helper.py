"""tests/contracts/validate.py, the check the end-to-end runs apply to every emitted event."""

from __future__ import annotations

from typing import Any

import pytest

from .test_upcasting import RECEIVED_V1, RECEIVED_V2
from .validate import ContractViolation, validate_event

AMENDED: dict[str, Any] = {
    "case_id": "MX-2025-0117", "reason": "superseding indictment", "charges": [{
    "charge_id": "c1", "statute": "21 U.S.C. § 848", "description": "enterprise",
    "max_penalty_us": {"years": None, "life": True}, "mx_equivalent_offence": "delincuencia",
    "max_penalty_mx": {"years": 40, "life": False}, "death_penalty_possible": False,
    "death_penalty_law": None}]}


def test_a_valid_payload_passes() -> None:
    validate_event("intake.charges_amended", 1, AMENDED)
    validate_event("assurance.assurance_received", 2, RECEIVED_V2)


def _fails(event_type: str, version: int, data: Any, **options: bool) -> str:
    with pytest.raises(ContractViolation) as raised:
        validate_event(event_type, version, data, **options)
    return str(raised.value)


def test_failures_name_the_event_and_the_field() -> None:
    missing = {k: v for k, v in AMENDED.items() if k != "reason"}
    assert "at (payload): 'reason' is a required property" in _fails(
        "intake.charges_amended", 1, missing)
    wrong = {**AMENDED, "charges": [{**AMENDED["charges"][0], "death_penalty_possible": "no"}]}
    assert "at charges/0/death_penalty_possible: 'no' is not of type 'boolean'" in _fails(
        "intake.charges_amended", 1, wrong)
    assert "Additional properties are not allowed ('surprise' was unexpected)" in _fails(
        "intake.charges_amended", 1, {**AMENDED, "surprise": 1})
    assert "is not a 'date'" in _fails("assurance.assurance_received", 2, {
        **RECEIVED_V2, "diplomatic_note": {**RECEIVED_V2["diplomatic_note"],
                                           "issued_on": "July 1st"}})
    opened = {"case_id": "c", "legal_basis": "treaty", "charge_ids": [], "intake_event_id": "e"}
    validate_event("assurance.case_opened", 1, {**opened, "submitted_at": "2025-06-02T09:00:00Z"})
    assert "is not a 'date-time'" in _fails("assurance.case_opened", 1, {
        **opened, "submitted_at": "2025-06-02 in the morning"})


def test_unknown_and_deprecated_versions_are_refused() -> None:
    assert "no published schema" in _fails("intake.request_submitted", 7, {})
    assert "no published schema" in _fails("intake.nothing_happened", 1, {})
    assert "deprecated" in _fails("assurance.assurance_received", 1, RECEIVED_V1)
    validate_event("assurance.assurance_received", 1, RECEIVED_V1, current_only=False)
