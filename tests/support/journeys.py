"""Steps of a case through the five services running as processes, over their HTTP APIs,
shared by end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.demo.api import Api
from tests.support.requests import request


async def national_security_authorised(api: Api, **overrides: Any) -> str:
    """A national-security request submitted to intake (`overrides` go to its body), opened
    by judicial, and authorised for transfer by Mexico now; its case id. What the other
    services make of the authorisation is for the caller to wait for."""
    created = await api.post("intake", "/cases", request(basis="national_security", **overrides))
    case_id = str(created["case_id"])
    await api.wait("judicial", f"/cases/{case_id}", lambda _c: True, "judicial opened")
    await api.post("judicial", f"/cases/{case_id}/national-security-transfer", {
        "authorized_at": datetime.now(UTC).isoformat(), "us_request_reference": "US-REQ-1",
        "authority": "SSPC"})
    return case_id
