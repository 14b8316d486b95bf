"""Settings every service reads from its environment (pydantic-settings).

Database selection, in order: SERVICE_DATABASE_URL (this service's own database);
DATABASE_URL pointing at a PostgreSQL server (the service uses database `runway_<service>`
on it, or `<RUNWAY_DATABASE_PREFIX>_<service>`); otherwise the embedded SQLite file
`<RUNWAY_DATA_DIR>/<service>.db`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.db import with_database
from shared.envsettings import EnvSettings
from shared.messaging.kafka import default_bootstrap
from shared.messaging.security import KafkaSecuritySettings
from shared.pii.settings import PiiSettings
from shared.security.settings import AuthSettings

REPO_ROOT = Path(__file__).resolve().parents[1]


def service_database_url(server_url: str, service: str, prefix: str = "runway") -> str:
    """The database of `service` on a PostgreSQL server: `<prefix>_<service>`."""
    return with_database(server_url, f"{prefix}_{service}")


class KafkaClientSettings(EnvSettings):
    """Which cluster a Kafka client of Runway joins, how it authenticates, and the prefix of
    its topics: read alike by every service and by the console's live updates."""

    kafka_bootstrap_servers: str = Field(default_factory=default_bootstrap,
                                         validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # Kafka authentication (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*), read with the rest.
    kafka_security: KafkaSecuritySettings = Field(default_factory=KafkaSecuritySettings)
    topic_namespace: str = Field(default="", validation_alias="RUNWAY_TOPIC_NAMESPACE",
                                 pattern=r"^[a-zA-Z0-9_-]*$")


class ServiceSettings(KafkaClientSettings):
    service_name: str = Field(default="runway", validation_alias="RUNWAY_SERVICE")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    service_database_url: str | None = Field(default=None,
                                             validation_alias="SERVICE_DATABASE_URL")
    # On a DATABASE_URL server each service uses the database `<prefix>_<service>`: a second
    # installation (or a test's stack) on the same server takes another prefix.
    database_prefix: str = Field(default="runway", validation_alias="RUNWAY_DATABASE_PREFIX",
                                 pattern=r"^[a-z][a-z0-9_]*$")
    data_dir: Path = Field(default=REPO_ROOT / "var" / "data", validation_alias="RUNWAY_DATA_DIR")
    http_host: str = Field(default="127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int | None = Field(default=None, validation_alias="HTTP_PORT")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Connections to the service's database. Requests beyond it wait for one (SQLAlchemy's
    # pool timeout, 30 s) instead of opening a connection per request: on a busy box a new
    # PostgreSQL backend costs more than the wait. Relay and consumers draw from it too.
    db_pool_size: int = Field(default=20, ge=1, le=200, validation_alias="DB_POOL_SIZE")
    relay_batch_size: int = Field(default=1000, ge=1, validation_alias="RELAY_BATCH_SIZE")
    relay_poll_interval_s: float = Field(default=1.0, gt=0,
                                         validation_alias="RELAY_POLL_INTERVAL_S")
    # With the first backoff doubling each time, 8 attempts wait about 13 s in all: enough
    # for an event another service publishes at the same moment to arrive first.
    consumer_max_attempts: int = Field(default=8, ge=1,
                                       validation_alias="CONSUMER_MAX_ATTEMPTS")
    consumer_first_backoff_s: float = Field(default=0.1, gt=0,
                                            validation_alias="CONSUMER_FIRST_BACKOFF_S")
    # Bearer-token verification (RUNWAY_AUTH_*), read from the environment with the rest.
    auth: AuthSettings = Field(default_factory=AuthSettings)
    # The personal-data key store and master keyring (RUNWAY_KEYSTORE_URL, RUNWAY_PII_*).
    pii: PiiSettings = Field(default_factory=PiiSettings)
    startup_timeout_s: float = Field(default=60.0, gt=0, validation_alias="STARTUP_TIMEOUT_S")

    def resolved_database_url(self) -> str:
        if self.service_database_url:
            return self.service_database_url
        if self.database_url and self.database_url.startswith("postgresql"):
            return service_database_url(self.database_url, self.service_name,
                                        self.database_prefix)
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.service_name}.db'}"

    def resolved_keystore_url(self) -> str:
        return self.pii.resolved_keystore_url(self.database_url, self.data_dir)


class ToolSettings(EnvSettings):
    """What Runway's command-line tools (runway, runway-stack, runway-infra, runway-relay)
    read from the environment beside Kafka's settings; the services read ServiceSettings."""

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # None when unset: the `runway` commands then take the running stack's namespace.
    topic_namespace: str | None = Field(default=None, validation_alias="RUNWAY_TOPIC_NAMESPACE",
                                        pattern=r"^[a-zA-Z0-9_-]*$")
    # Moves every service of `runway-stack up` off its default port (8001 + offset, ...), so a
    # second stack (a test's) can run beside a developer's; var/stack.json has the real URLs.
    port_offset: int = Field(default=0, ge=0, validation_alias="RUNWAY_PORT_OFFSET")
    # The stack description (shared/stackfile.py); empty: <repo>/var/stack.json.
    stack_file: str = Field(default="", validation_alias="RUNWAY_STACK_FILE")

    @property
    def postgres(self) -> bool:
        return bool(self.database_url and self.database_url.startswith("postgresql"))
