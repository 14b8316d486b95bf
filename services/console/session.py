"""Who is signed in: the bearer token, kept in a signed, HttpOnly cookie.

The cookie holds the token the APIs verify, with the subject and roles read from it for the
pages. It is signed (HMAC-SHA256 with the console's secret) so that a browser cannot change the
roles the pages show; the APIs verify the token itself on every call, so a forged role could
only ever show a form whose submission the API refuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.security import AuthSettings, TokenIssuer
from shared.security.tokens import roles_of

COOKIE = "runway_session"
LANGUAGE_COOKIE = "runway_lang"


@dataclass(frozen=True)
class Session:
    token: str
    subject: str
    roles: tuple[str, ...]
    expires_at: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at


def session_from_token(token: str, roles_claim: str = "roles") -> Session:
    """The subject, roles and expiry a token states. Not a verification: the APIs verify the
    token on every call; the console only needs to know which forms to show."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise ValueError("not a bearer token (JWT)") from error
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("exp"), int):
        raise ValueError("the token has no subject or no expiry")
    return Session(token=token, subject=claims["sub"],
                   roles=tuple(roles_of(claims, roles_claim)),
                   expires_at=datetime.fromtimestamp(claims["exp"], UTC))


def local_session(auth: AuthSettings, subject: str, role: str,
                  ttl: timedelta | None = None) -> Session:
    """A session with a token from the local issuer, as `runway token` mints them."""
    token = TokenIssuer(auth).issue(subject, [role], ttl=ttl)
    return session_from_token(token, auth.roles_claim)


def _mac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cookie(session: Session, secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"token": session.token}).encode()).decode()
    return f"{payload}.{_mac(secret, payload.encode())}"


def decode_cookie(value: str | None, secret: str, roles_claim: str = "roles") -> Session | None:
    """The session in a cookie, or None when it is missing, tampered with or expired."""
    if not value or "." not in value:
        return None
    payload, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, payload.encode())):
        return None
    try:
        token = json.loads(base64.urlsafe_b64decode(payload.encode()))["token"]
        session = session_from_token(str(token), roles_claim)
    except (ValueError, KeyError, TypeError):
        return None
    return None if session.expired() else session
