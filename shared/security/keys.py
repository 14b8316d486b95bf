"""Verification keys (a JWKS from a file or the issuer's URL) and the local issuer's key pair.

The key set is loaded on first use and again when a token names a key id it does not know
(an identity provider rotating its keys publishes the new one before signing with it), at
most once per `refresh_interval_s`, so a flood of forged key ids cannot hammer the issuer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger("runway.auth")


class KeySetUnavailable(RuntimeError):
    """The key set could not be loaded: no token can be verified until it can."""


class KeySet:
    def __init__(self, source: str, *, refresh_interval_s: float = 10.0,
                 allow_http: bool = False) -> None:
        if source.startswith("http://") and not allow_http:
            # Keys fetched in clear can be swapped by anyone on the path: they would sign in
            # as any role. Plain http is for a developer's own identity provider only.
            raise ValueError(f"the key set {source} must be fetched over https "
                             "(RUNWAY_AUTH_ALLOW_HTTP_JWKS=1 allows http for development)")
        self.source = source
        self._refresh_interval_s = refresh_interval_s
        self._keys: dict[str, VerificationKey] = {}
        self._loaded = False
        self._attempted_at: float | None = None
        self._last_error: KeySetUnavailable | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> VerificationKey | None:
        """The key with this id (or the only key, for a token without an id)."""
        if not self._loaded:
            await self._refresh_if_due()
            if not self._loaded:
                raise self._last_error or KeySetUnavailable(f"no keys from {self.source}")
        found = self._find(kid)
        if found is None:
            await self._refresh_if_due()
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> VerificationKey | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _due(self) -> bool:
        return (self._attempted_at is None
                or time.monotonic() - self._attempted_at >= self._refresh_interval_s)

    async def _refresh_if_due(self) -> None:
        """Fetch the key set at most once per interval, however many requests ask at once,
        and remember a failure for as long: an unreachable issuer or a flood of made-up key
        ids costs one fetch per interval, not one per request."""
        if not self._due() and not self._lock.locked():
            return
        async with self._lock:  # a fetch in flight: wait for its outcome rather than guess
            if not self._due():  # another request fetched while this one waited
                return
            self._attempted_at = time.monotonic()
            try:
                self._keys = parse_jwks(await self._fetch())
                self._loaded, self._last_error = True, None
            except KeySetUnavailable as error:
                self._last_error = error
                log.warning("token verification keys unavailable", extra={
                    "source": self.source, "error": str(error)})

    async def refresh(self) -> None:
        """Fetch the key set now (start-up checks, tests)."""
        self._attempted_at = None
        await self._refresh_if_due()
        if self._last_error is not None:
            raise self._last_error

    async def _fetch(self) -> dict[str, Any]:
        try:
            if self.source.startswith(("https://", "http://")):
                async with httpx.AsyncClient(timeout=5) as http:
                    response = await http.get(self.source)
                    response.raise_for_status()
                    document: dict[str, Any] = response.json()
                    return document
            text = await asyncio.to_thread(Path(self.source).read_text, encoding="utf-8")
            loaded: dict[str, Any] = json.loads(text)
            return loaded
        except (OSError, ValueError, httpx.HTTPError) as error:
            raise KeySetUnavailable(
                f"cannot load the token verification keys from {self.source}: {error}. "
                "Set RUNWAY_AUTH_JWKS to your identity provider's JWKS, or create the local "
                "issuer with `runway token --init`") from error


@dataclass(frozen=True)
class VerificationKey:
    jwk: jwt.PyJWK
    declared_algorithm: str | None  # the key set's `alg` for this key, if it names one

    @property
    def key_type(self) -> str:
        return str(self.jwk.key_type)


def parse_jwks(document: dict[str, Any]) -> dict[str, VerificationKey]:
    """Signing keys by key id; keys for other uses or unsupported types are left out."""
    keys: dict[str, VerificationKey] = {}
    for index, entry in enumerate(document.get("keys", [])):
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK.from_dict(entry)
        except jwt.PyJWKError:
            continue
        declared = entry.get("alg")
        keys[str(entry.get("kid") or f"#{index}")] = VerificationKey(
            key, declared if isinstance(declared, str) else None)
    return keys


class LocalIssuerKeys:
    """The local issuer's EC P-256 key pair, for `runway token` and local runs only: the
    private key in `signing-key.pem` (mode 0600), the public one in `jwks.json`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.private_key_path = directory / "signing-key.pem"
        self.jwks_path = directory / "jwks.json"

    def exists(self) -> bool:
        return self.private_key_path.exists() and self.jwks_path.exists()

    def ensure(self) -> None:
        """Create the key pair once; an existing pair is kept (tokens stay valid)."""
        if self.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        descriptor = os.open(self.private_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        public_jwk: dict[str, Any] = json.loads(
            jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
        public_jwk.update({"kid": key_id(public_jwk), "use": "sig", "alg": "ES256"})
        self.jwks_path.write_text(json.dumps({"keys": [public_jwk]}, indent=2) + "\n")

    def private_key_pem(self) -> bytes:
        return self.private_key_path.read_bytes()

    def key_id(self) -> str:
        document = json.loads(self.jwks_path.read_text(encoding="utf-8"))
        return str(document["keys"][0]["kid"])


def key_id(public_jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of an EC public key, so the id changes when the key does."""
    members = {name: public_jwk[name] for name in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"),
                                       sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
