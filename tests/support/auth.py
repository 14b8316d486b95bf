"""Bearer tokens for tests, from the local issuer whose keys conftest puts in a per-run
directory (RUNWAY_AUTH_DIR), which every service under test trusts, in-process or not."""

from __future__ import annotations

import functools

from shared.security import AuthSettings, TokenIssuer


@functools.cache
def _issuer() -> TokenIssuer:
    return TokenIssuer(AuthSettings())


@functools.cache
def token_for(role: str, subject: str | None = None) -> str:
    return _issuer().issue(subject or f"test-{role}", [role])


def auth_headers(role: str, subject: str | None = None) -> dict[str, str]:
    """The Authorization header of a caller holding `role` (subject defaults per role)."""
    return {"Authorization": f"Bearer {token_for(role, subject)}"}


# The role that records each service's steps: what a test acting "as that service's clerk"
# holds.
WRITER_ROLE = {"intake": "operator", "judicial": "judicial_clerk",
               "assurance": "assurance_officer", "transport": "transport_officer",
               "court": "court_clerk", "audit": "auditor"}


def service_headers(service: str) -> dict[str, str]:
    """Headers of the clerk or officer who records `service`'s steps."""
    return auth_headers(WRITER_ROLE[service])
