"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified token's subject and the Runway roles it carries."""

    subject: str
    roles: frozenset[str]
    issuer: str
    expires_at: datetime
    token_id: str | None = None
