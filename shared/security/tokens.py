"""Bearer tokens: verified against the configured issuer, audience and key set; issued
locally by `runway token` for development and test runs.

A rejected token names its reason (expired, bad signature, wrong issuer, ...) so a client can
tell what to fix; the token itself is never logged or echoed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .keys import KeySet, KeySetUnavailable, LocalIssuerKeys
from .principal import Principal
from .settings import AuthSettings


class TokenRejected(Exception):
    """A bearer token that does not authenticate anyone; `reason` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# PyJWT's errors, most specific first, and the reason a client is told.
_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not valid yet"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.DecodeError, "malformed token"),
)


class TokenVerifier:
    def __init__(self, settings: AuthSettings, keys: KeySet | None = None) -> None:
        self.settings = settings
        self.keys = keys or KeySet(settings.key_source())
        self._algorithms = settings.allowed_algorithms()

    async def verify(self, token: str) -> Principal:
        header = _header(token)
        algorithm = header.get("alg")
        if algorithm not in self._algorithms:
            raise TokenRejected(f"signing algorithm {algorithm!r} is not accepted")
        try:
            key = await self.keys.key(header.get("kid"))
        except KeySetUnavailable as error:
            raise TokenRejected("the verification keys are unavailable") from error
        if key is None:
            raise TokenRejected("unknown signing key")
        claims = self._decode(token, key, str(algorithm))
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(roles_of(claims, self.settings.roles_claim)),
            issuer=str(claims["iss"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            token_id=str(claims["jti"]) if claims.get("jti") else None,
        )

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[algorithm], audience=self.settings.audience,
                issuer=self.settings.issuer, leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "iss", "sub"]})
        except jwt.MissingRequiredClaimError as error:
            raise TokenRejected(f"token lacks the {error.claim!r} claim") from error
        except jwt.InvalidTokenError as error:
            raise TokenRejected(_reason(error)) from error
        return claims


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise TokenRejected("malformed token") from error


def _reason(error: jwt.InvalidTokenError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "invalid token"


def roles_of(claims: dict[str, Any], claim_path: str) -> list[str]:
    """The roles at a (possibly nested) claim: a list of strings, or one string."""
    value: Any = claims
    for part in claim_path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


class TokenIssuer:
    """Signs tokens with the local issuer's key: development and tests, never production."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.keys = LocalIssuerKeys(settings.local_dir)

    def issue(self, subject: str, roles: Iterable[str], *, ttl: timedelta | None = None,
              now: datetime | None = None, extra: dict[str, Any] | None = None) -> str:
        self.keys.ensure()
        issued = now or datetime.now(UTC)
        lifetime = ttl if ttl is not None else timedelta(seconds=self.settings.token_ttl_s)
        claims: dict[str, Any] = {
            "iss": self.settings.issuer, "aud": self.settings.audience, "sub": subject,
            "iat": int(issued.timestamp()), "exp": int((issued + lifetime).timestamp()),
            "jti": str(uuid.uuid4()), **(extra or {}),
        }
        *parents, leaf = self.settings.roles_claim.split(".")
        holder = claims
        for name in parents:  # e.g. realm_access.roles: {"realm_access": {"roles": [...]}}
            holder = holder.setdefault(name, {})
        holder[leaf] = sorted(set(roles))
        return jwt.encode(claims, self.keys.private_key_pem(), algorithm="ES256",
                          headers={"kid": self.keys.key_id()})
