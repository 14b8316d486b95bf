"""The console's configuration, read from the environment (pydantic-settings).

Where each service answers, in order: RUNWAY_<SERVICE>_URL; the running stack's description
(var/stack.json, or RUNWAY_STACK_FILE); the service's default port on 127.0.0.1 (moved by
RUNWAY_PORT_OFFSET, as runway-stack moves it).
"""

from __future__ import annotations

import secrets

from pydantic import AliasChoices, Field

from shared import stackfile
from shared.legaltime import legal_zone_name
from shared.security.settings import AuthSettings
from shared.settings import KafkaClientSettings
from shared.topology import CONSOLE_PORT, DEFAULT_PORTS

AUDIT_PORT = 8010  # `runway audit serve`'s default


class ConsoleSettings(KafkaClientSettings):
    http_host: str = Field(default="127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int = Field(default=CONSOLE_PORT, ge=1, le=65535,
                           validation_alias=AliasChoices("CONSOLE_HTTP_PORT", "HTTP_PORT"))
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    intake_url: str | None = Field(default=None, validation_alias="RUNWAY_INTAKE_URL")
    judicial_url: str | None = Field(default=None, validation_alias="RUNWAY_JUDICIAL_URL")
    assurance_url: str | None = Field(default=None, validation_alias="RUNWAY_ASSURANCE_URL")
    transport_url: str | None = Field(default=None, validation_alias="RUNWAY_TRANSPORT_URL")
    court_url: str | None = Field(default=None, validation_alias="RUNWAY_COURT_URL")
    # The auditors' read-only API, `runway audit serve` (not started by make run).
    audit_url: str = Field(default=f"http://127.0.0.1:{AUDIT_PORT}",
                           validation_alias="RUNWAY_AUDIT_URL")
    # Signs the session cookie. Unset, each process makes its own: a restart signs everyone
    # out, which is right for a local run; a deployment with several replicas sets it.
    cookie_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32),
                               validation_alias="CONSOLE_COOKIE_SECRET", min_length=16)
    # Secure cookies need https; a local run serves plain http on 127.0.0.1.
    cookie_secure: bool = Field(default=False, validation_alias="CONSOLE_COOKIE_SECURE")
    # Sign-in by picking a subject and role, with tokens from the local issuer. Only where the
    # services trust that issuer (no RUNWAY_AUTH_JWKS): with an identity provider, users paste
    # the provider's bearer token instead.
    local_sign_in: bool | None = Field(default=None, validation_alias="CONSOLE_LOCAL_SIGN_IN")
    page_size: int = Field(default=25, ge=5, le=200, validation_alias="CONSOLE_PAGE_SIZE")
    api_timeout_s: float = Field(default=10.0, gt=0, validation_alias="CONSOLE_API_TIMEOUT_S")
    # Live updates: a subscriber to the services' event topics (the cluster and topic prefix
    # as KafkaClientSettings reads them).
    live_updates: bool = Field(default=True, validation_alias="CONSOLE_LIVE_UPDATES")
    # The services' default ports are moved by it, as runway-stack moves them.
    port_offset: int = Field(default=0, ge=0, validation_alias="RUNWAY_PORT_OFFSET")
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @property
    def legal_timezone(self) -> str:
        """LEGAL_TIMEZONE: the zone of legal dates and of the times typed into forms, as every
        service reads it (shared/legaltime)."""
        return legal_zone_name()

    def local_issuer(self) -> bool:
        """Whether users sign in by picking a role (tokens minted by the local issuer)."""
        if self.local_sign_in is not None:
            return self.local_sign_in
        return self.auth.jwks is None

    def service_urls(self) -> dict[str, str]:
        explicit = {"intake": self.intake_url, "judicial": self.judicial_url,
                    "assurance": self.assurance_url, "transport": self.transport_url,
                    "court": self.court_url}
        described = _stack_urls()
        urls = {name: (explicit[name] or described.get(name)
                       or f"http://127.0.0.1:{port + self.port_offset}").rstrip("/")
                for name, port in DEFAULT_PORTS.items()}
        return {**urls, "audit": self.audit_url.rstrip("/")}


def _stack_urls() -> dict[str, str]:
    try:
        description = stackfile.read()
    except stackfile.StackFileError:
        return {}
    if description is None or not description.running:
        return {}
    return {name: service.url for name, service in description.services.items()}
