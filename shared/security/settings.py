"""Authentication settings, read from the environment in the composition root.

A real identity provider plugs in with RUNWAY_AUTH_ISSUER, RUNWAY_AUTH_AUDIENCE and
RUNWAY_AUTH_JWKS (its JWKS URL). Without RUNWAY_AUTH_JWKS the services trust the local issuer
of `runway token`, whose key pair lives in RUNWAY_AUTH_DIR (default <repo>/var/auth).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.envsettings import EnvSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_ISSUER = "runway-local"


class AuthSettings(EnvSettings):
    issuer: str = Field(default=LOCAL_ISSUER, validation_alias="RUNWAY_AUTH_ISSUER")
    audience: str = Field(default="runway", validation_alias="RUNWAY_AUTH_AUDIENCE")
    jwks: str | None = Field(default=None, validation_alias="RUNWAY_AUTH_JWKS",
                             description="the issuer's JWKS: an https:// URL or a file path")
    allow_http_jwks: bool = Field(default=False, validation_alias="RUNWAY_AUTH_ALLOW_HTTP_JWKS",
                                  description="fetch the JWKS over plain http (development)")
    roles_claim: str = Field(default="roles", validation_alias="RUNWAY_AUTH_ROLES_CLAIM",
                             description="claim holding the roles; dots walk nested claims "
                                         "(e.g. realm_access.roles)")
    algorithms: str = Field(default="ES256,RS256,EdDSA",
                            validation_alias="RUNWAY_AUTH_ALGORITHMS")
    leeway_s: int = Field(default=30, ge=0, le=300, validation_alias="RUNWAY_AUTH_LEEWAY_S")
    local_dir: Path = Field(default=REPO_ROOT / "var" / "auth",
                            validation_alias="RUNWAY_AUTH_DIR")
    token_ttl_s: int = Field(default=8 * 3600, gt=0, le=7 * 24 * 3600,
                             validation_alias="RUNWAY_AUTH_TOKEN_TTL_S")

    def allowed_algorithms(self) -> list[str]:
        return [a.strip() for a in self.algorithms.split(",") if a.strip()]

    def key_source(self) -> str:
        """Where the verification keys come from: the configured JWKS or the local issuer's."""
        return self.jwks or str(self.local_dir / "jwks.json")
