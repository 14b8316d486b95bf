"""Bearer-token verification: what is accepted, and the reason given for what is not."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.security import AuthSettings, Principal, TokenIssuer, TokenRejected, TokenVerifier
from shared.security.keys import KeySet, KeySetUnavailable, LocalIssuerKeys
from shared.security.tokens import roles_of


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def settings(directory: Path, **overrides: object) -> AuthSettings:
    return AuthSettings(local_dir=directory, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def issuer(tmp_path: Path) -> TokenIssuer:
    return TokenIssuer(settings(tmp_path / "issuer"))


@pytest.fixture
def verifier(issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier(issuer.settings)


async def reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenRejected) as rejected:
        await verifier.verify(token)
    return rejected.value.reason


async def test_a_token_from_the_configured_issuer_names_its_subject_and_roles(
        issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    principal = await verifier.verify(issuer.issue("ana", ["operator", "auditor"]))
    assert principal.subject == "ana"
    assert principal.roles == {"operator", "auditor"}
    assert principal.issuer == "runway-local"


async def test_an_expired_token_is_refused_as_expired(issuer: TokenIssuer,
                                                     verifier: TokenVerifier) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token = issuer.issue("ana", ["operator"], ttl=timedelta(minutes=30), now=long_ago)
    assert await reason(verifier, token) == "token expired"


async def test_a_token_signed_by_another_key_with_the_same_key_id_has_a_bad_signature(
        issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    claims = jwt.decode(issuer.issue("ana", ["operator"]), options={"verify_signature": False})
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"kid": issuer.keys.key_id()})
    assert await reason(verifier, forged) == "bad signature"


async def test_a_tampered_role_breaks_the_signature(issuer: TokenIssuer,
                                                   verifier: TokenVerifier) -> None:
    header, payload, signature = issuer.issue("ana", ["auditor"]).split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["roles"] = ["operator"]
    other_payload = jwt.encode(claims, "k" * 32, algorithm="HS256").split(".")[1]
    assert await reason(verifier, f"{header}.{other_payload}.{signature}") == "bad signature"


async def test_issuer_and_audience_must_be_the_configured_ones(tmp_path: Path) -> None:
    directory = tmp_path / "issuer"
    foreign = TokenIssuer(settings(directory, issuer="someone-else"))
    other_audience = TokenIssuer(settings(directory, audience="another-api"))
    verifier = TokenVerifier(settings(directory))
    assert await reason(verifier, foreign.issue("ana", ["operator"])) == "wrong issuer"
    assert await reason(verifier, other_audience.issue("ana", ["operator"])) == "wrong audience"


async def test_garbage_and_unsigned_tokens_are_refused(issuer: TokenIssuer,
                                                      verifier: TokenVerifier) -> None:
    assert await reason(verifier, "not-a-token") == "malformed token"
    claims = jwt.decode(issuer.issue("ana", ["operator"]), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    assert await reason(verifier, unsigned) == "signing algorithm not accepted"


async def test_a_symmetric_token_cannot_borrow_the_public_key_as_its_secret(
        issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    # The classic algorithm-confusion attack: HS256 keyed with the published public key.
    _header, payload, _signature = issuer.issue("ana", ["operator"]).split(".")
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT",
                                "kid": issuer.keys.key_id()}).encode())
    mac = hmac.new(issuer.keys.jwks_path.read_bytes(), f"{header}.{payload}".encode(),
                   hashlib.sha256).digest()
    assert "not accepted" in await reason(verifier, f"{header}.{payload}.{b64url(mac)}")


async def test_an_unknown_key_id_is_refused(issuer: TokenIssuer,
                                           verifier: TokenVerifier) -> None:
    claims = jwt.decode(issuer.issue("ana", ["operator"]), options={"verify_signature": False})
    token = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                       headers={"kid": "rotated-away"})
    assert await reason(verifier, token) == "unknown signing key"


async def test_a_key_published_after_start_up_is_picked_up(tmp_path: Path) -> None:
    """An identity provider rotating keys publishes the new one; tokens signed with it verify
    once the key set is read again (on an unknown key id, at most every refresh interval)."""
    directory = tmp_path / "issuer"
    first = TokenIssuer(settings(directory))
    first.keys.ensure()
    verifier = TokenVerifier(settings(directory),
                             KeySet(str(first.keys.jwks_path), refresh_interval_s=0))
    await verifier.verify(first.issue("ana", ["operator"]))
    for path in (first.keys.private_key_path, first.keys.jwks_path):
        path.unlink()
    rotated = TokenIssuer(settings(directory))
    principal = await verifier.verify(rotated.issue("ana", ["operator"]))
    assert principal.subject == "ana"


async def test_rsa_keys_of_an_identity_provider_verify(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk.update({"kid": "idp-1", "use": "sig"})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public_jwk]}))
    now = datetime.now(UTC)
    token = jwt.encode({"iss": "https://idp.example", "aud": "runway", "sub": "u-1",
                        "realm_access": {"roles": ["auditor", "other-app-role"]},
                        "iat": now, "exp": now + timedelta(minutes=5)},
                       private, algorithm="RS256", headers={"kid": "idp-1"})
    verifier = TokenVerifier(settings(tmp_path, issuer="https://idp.example",
                                      jwks=str(jwks), roles_claim="realm_access.roles"))
    principal = await verifier.verify(token)
    assert principal.roles == {"auditor", "other-app-role"}


async def test_without_a_key_set_every_token_is_refused_with_the_reason(
        tmp_path: Path, issuer: TokenIssuer) -> None:
    verifier = TokenVerifier(settings(tmp_path / "nowhere"))
    assert await reason(verifier, issuer.issue("ana", ["operator"])) == (
        "the verification keys are unavailable")


def test_roles_come_from_a_list_a_space_separated_string_or_a_nested_claim() -> None:
    assert roles_of({"roles": ["a", "b", 3]}, "roles") == ["a", "b"]
    assert roles_of({"scope": "a b"}, "scope") == ["a", "b"]
    assert roles_of({"x": {"y": ["a"]}}, "x.y") == ["a"]
    assert roles_of({}, "roles") == []


def test_the_local_issuer_keeps_its_private_key_private(tmp_path: Path) -> None:
    keys = LocalIssuerKeys(tmp_path / "auth")
    keys.ensure()
    assert keys.private_key_path.stat().st_mode & 0o077 == 0
    assert "BEGIN PRIVATE KEY" not in keys.jwks_path.read_text()


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "EdDSA", "ES384"])
async def test_a_header_naming_another_kind_of_key_is_a_401_not_a_crash(
        issuer: TokenIssuer, algorithm: str) -> None:
    """The header is the attacker's: an algorithm the local EC P-256 key can't serve must be
    refused as a verdict on the token, not raise inside the verifier (a 500)."""
    verifier = TokenVerifier(settings(issuer.settings.local_dir,
                                      algorithms="ES256,ES384,RS256,PS256,EdDSA"))
    _header, payload, signature = issuer.issue("ana", ["operator"]).split(".")
    header = b64url(json.dumps({"alg": algorithm, "kid": issuer.keys.key_id()}).encode())
    assert await reason(verifier, f"{header}.{payload}.{signature}") == (
        "signing algorithm does not match the key")


async def test_the_refusal_does_not_echo_what_the_caller_put_in_the_header(
        issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    _header, payload, signature = issuer.issue("ana", ["operator"]).split(".")
    header = b64url(json.dumps({"alg": 'x"\r\nSet-Cookie: a=b'}).encode())
    assert await reason(verifier, f"{header}.{payload}.{signature}") == (
        "signing algorithm not accepted")


class CountingKeySet(KeySet):
    def __init__(self, source: str, *, fail: bool = False) -> None:
        super().__init__(source, refresh_interval_s=60)
        self.fetches = 0
        self.fail = fail

    async def _fetch(self) -> dict[str, Any]:
        self.fetches += 1
        await asyncio.sleep(0)  # let the other requests pile up on the lock meanwhile
        if self.fail:
            raise KeySetUnavailable("issuer down")
        return await super()._fetch()


async def test_a_flood_of_made_up_key_ids_costs_one_fetch_per_interval(
        issuer: TokenIssuer) -> None:
    issuer.keys.ensure()
    keys = CountingKeySet(str(issuer.keys.jwks_path))
    verifier = TokenVerifier(issuer.settings, keys)
    claims = jwt.decode(issuer.issue("ana", ["operator"]), options={"verify_signature": False})
    forged = [jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                         headers={"kid": f"made-up-{n}"}) for n in range(50)]
    reasons = await asyncio.gather(*(reason(verifier, token) for token in forged))
    assert set(reasons) == {"unknown signing key"}
    assert keys.fetches == 1


async def test_an_unreachable_issuer_is_asked_once_per_interval_not_per_request(
        issuer: TokenIssuer) -> None:
    keys = CountingKeySet("/nowhere/jwks.json", fail=True)
    verifier = TokenVerifier(issuer.settings, keys)
    tokens = [issuer.issue("ana", ["operator"]) for _ in range(20)]
    reasons = await asyncio.gather(*(reason(verifier, token) for token in tokens))
    assert set(reasons) == {"the verification keys are unavailable"}
    assert keys.fetches == 1


def test_a_key_set_over_plain_http_is_refused_unless_allowed() -> None:
    with pytest.raises(ValueError, match="https"):
        KeySet("http://idp.example/jwks")
    KeySet("http://localhost:8080/jwks", allow_http=True)


class CountingVerifier(TokenVerifier):
    """Counts the full checks (header, key, signature, claims) it makes."""

    checks = 0

    async def _verify(self, token: str) -> Principal:
        self.checks += 1
        return await super()._verify(token)


async def test_a_verified_token_is_remembered_until_the_cache_time(
        issuer: TokenIssuer) -> None:
    now = [datetime.now(UTC).timestamp()]
    verifier = CountingVerifier(issuer.settings, cache_s=60, wall_clock=lambda: now[0])
    token = issuer.issue("ana", ["operator"])
    for _ in range(3):
        assert (await verifier.verify(token)).subject == "ana"
    assert verifier.checks == 1
    now[0] += 61
    await verifier.verify(token)
    assert verifier.checks == 2


async def test_a_remembered_token_is_refused_once_it_expires(issuer: TokenIssuer) -> None:
    issued = datetime.now(UTC)
    now = [issued.timestamp()]
    verifier = CountingVerifier(issuer.settings, cache_s=3600, wall_clock=lambda: now[0])
    token = issuer.issue("ana", ["operator"], ttl=timedelta(minutes=5), now=issued)
    await verifier.verify(token)
    now[0] += 4 * 60
    await verifier.verify(token)
    assert verifier.checks == 1
    # Past its expiry the token is checked again, and the check (not the cache) decides.
    now[0] += 2 * 60
    await verifier.verify(token)
    assert verifier.checks == 2


async def test_refused_tokens_are_never_remembered(issuer: TokenIssuer) -> None:
    verifier = CountingVerifier(issuer.settings)
    header, payload, _ = issuer.issue("ana", ["operator"]).split(".")
    forged = f"{header}.{payload}.{b64url(b'x' * 64)}"
    for _ in range(2):
        assert await reason(verifier, forged) == "bad signature"
    assert verifier.checks == 2
