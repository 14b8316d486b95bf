"""Bearer tokens: verified against the configured issuer, audience and key set; issued
locally by `runway token` for development and test runs.

A rejected token names its reason (expired, bad signature, wrong issuer, ...) so a client can
tell what to fix; the token itself is never logged or echoed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .keys import KeySet, KeySetUnavailable, LocalIssuerKeys, VerificationKey
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


# A verified token is remembered (by its exact text) for at most this long, and never past its
# expiry: a client sends the same token with every request, and checking its ECDSA signature
# again each time was the largest single cost of a read under load. Only tokens that verified
# are remembered, so a flood of bad ones is checked (and refused) every time.
VERIFIED_CACHE_S = 60.0
VERIFIED_CACHE_ENTRIES = 10_000


class TokenVerifier:
    def __init__(self, settings: AuthSettings, keys: KeySet | None = None, *,
                 cache_s: float = VERIFIED_CACHE_S,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.keys = keys or KeySet(settings.key_source(),
                                   allow_http=settings.allow_http_jwks)
        self._algorithms = settings.allowed_algorithms()
        self._cache_s = cache_s
        self._now = wall_clock
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > self._now():
            return remembered[0]
        principal = await self._verify(token)
        self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        now = self._now()
        until = min(now + self._cache_s, principal.expires_at.timestamp())
        if until <= now:
            return
        if len(self._verified) >= VERIFIED_CACHE_ENTRIES:  # bounded: drop the stale, or all
            self._verified = {k: v for k, v in self._verified.items() if v[1] > now}
            if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
                self._verified.clear()
        self._verified[token] = (principal, until)

    async def _verify(self, token: str) -> Principal:
        header = _header(token)
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise TokenRejected("signing algorithm not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected("malformed token")
        try:
            key = await self.keys.key(kid)
        except KeySetUnavailable as error:
            raise TokenRejected("the verification keys are unavailable") from error
        if key is None:
            raise TokenRejected("unknown signing key")
        if not _fits(algorithm, key):
            raise TokenRejected("signing algorithm does not match the key")
        claims = self._decode(token, key, algorithm)
        if not str(claims["sub"]).strip():  # every event records who acted
            raise TokenRejected("token's 'sub' claim is empty")
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(roles_of(claims, self.settings.roles_claim)),
            issuer=str(claims["iss"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            token_id=str(claims["jti"]) if claims.get("jti") else None,
        )

    def _decode(self, token: str, key: VerificationKey, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.jwk.key, algorithms=[algorithm], audience=self.settings.audience,
                issuer=self.settings.issuer, leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "iss", "sub"]})
        except jwt.MissingRequiredClaimError as error:
            raise TokenRejected(f"token lacks the {error.claim!r} claim") from error
        except jwt.InvalidTokenError as error:
            raise TokenRejected(_reason(error)) from error
        except jwt.PyJWTError as error:  # e.g. a key PyJWT can't use with this algorithm
            raise TokenRejected("invalid token") from error
        return claims


# The key type each algorithm family needs: a token naming RS256 may not be checked with an
# EC key (PyJWT would fail with an error that is not a verdict on the token).
_KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


def _fits(algorithm: str, key: VerificationKey) -> bool:
    if _KEY_TYPE.get(algorithm[:2]) != key.key_type:
        return False
    # An EC key fixes its algorithm by its curve (P-256 is ES256); a key set that names the
    # algorithm of a key is taken at its word.
    if key.key_type == "EC" and algorithm != key.jwk.algorithm_name:
        return False
    return key.declared_algorithm in (None, algorithm)


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
