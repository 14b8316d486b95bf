"""How Runway's Kafka clients authenticate: PLAINTEXT (the default, no authentication),
SASL_PLAINTEXT or SASL_SSL with SCRAM.

Read from the environment in the composition root (ServiceSettings, or a tool's main), never at
import time:

    KAFKA_SECURITY_PROTOCOL    PLAINTEXT | SASL_PLAINTEXT | SASL_SSL       (PLAINTEXT)
    KAFKA_SASL_MECHANISM       SCRAM-SHA-512 | SCRAM-SHA-256 | PLAIN        (SCRAM-SHA-512)
                               (PLAIN only over SASL_SSL: it sends the password itself)
    KAFKA_SASL_USERNAME        the service's SCRAM user, e.g. transport
    KAFKA_SASL_PASSWORD        its password, or
    KAFKA_SASL_PASSWORD_FILE   a file holding it (what deploy/kafka/kafka.sh generates)
    KAFKA_SSL_CAFILE           CA bundle that signed the brokers' certificates (SASL_SSL)

`KafkaSecurity` is the resolved form every client factory takes; `client_options()` are the
keyword arguments aiokafka's producer, consumer and admin client accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr

from shared.envsettings import EnvSettings

Protocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSecurityError(ValueError):
    """The Kafka security settings contradict each other or name a missing file."""


@dataclass(frozen=True)
class KafkaSecurity:
    """Resolved client security: what to hand aiokafka."""

    protocol: Protocol = "PLAINTEXT"
    mechanism: Mechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None

    def __post_init__(self) -> None:
        if self.protocol == "PLAINTEXT":
            # Credentials that would silently go unused are a misconfiguration, not a default.
            if self.username or self.password:
                raise KafkaSecurityError("KAFKA_SASL_USERNAME/PASSWORD are set but "
                                         "KAFKA_SECURITY_PROTOCOL is PLAINTEXT")
            return
        if not self.username or not self.password:
            raise KafkaSecurityError(f"KAFKA_SECURITY_PROTOCOL={self.protocol} needs "
                                     "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE)")
        if self.ssl_cafile is not None and self.protocol != "SASL_SSL":
            raise KafkaSecurityError("KAFKA_SSL_CAFILE is only used with SASL_SSL")
        if self.mechanism == "PLAIN" and self.protocol != "SASL_SSL":
            # PLAIN sends the password itself; SCRAM only proves it knows it.
            raise KafkaSecurityError(
                f"KAFKA_SASL_MECHANISM=PLAIN would send the password in clear over "
                f"KAFKA_SECURITY_PROTOCOL={self.protocol}: use PLAIN only with SASL_SSL, "
                "or a SCRAM mechanism")

    @property
    def authenticates(self) -> bool:
        return self.protocol != "PLAINTEXT"

    @property
    def principal(self) -> str | None:
        """The Kafka principal the broker sees, e.g. "User:transport"."""
        return f"User:{self.username}" if self.username else None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer/Consumer/AdminClient. Empty for PLAINTEXT,
        so a plaintext client is built exactly as it was before security existed."""
        if not self.authenticates:
            return {}
        options: dict[str, Any] = {
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }
        if self.protocol == "SASL_SSL":
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=str(self.ssl_cafile) if self.ssl_cafile else None)
        return options


PLAINTEXT = KafkaSecurity()


def options(security: KafkaSecurity | None) -> dict[str, Any]:
    """The client keyword arguments of `security` (None: plaintext)."""
    return security.client_options() if security is not None else {}


class KafkaSecuritySettings(EnvSettings):
    """The environment's Kafka security settings, before the password file is read."""

    protocol: Protocol = Field(default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL")
    mechanism: Mechanism = Field(default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM")
    username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    password: SecretStr | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD")
    password_file: Path | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD_FILE")
    ssl_cafile: Path | None = Field(default=None, validation_alias="KAFKA_SSL_CAFILE")

    def resolve(self) -> KafkaSecurity:
        """The client security these settings describe; reads the password file, if any."""
        if self.password is not None and self.password_file is not None:
            raise KafkaSecurityError("set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, "
                                     "not both")
        password = self.password.get_secret_value() if self.password is not None else None
        if self.password_file is not None:
            try:
                password = self.password_file.read_text().strip()
            except OSError as error:
                raise KafkaSecurityError(
                    f"KAFKA_SASL_PASSWORD_FILE {self.password_file} is not readable "
                    f"({error.strerror})") from error
        if self.ssl_cafile is not None and not self.ssl_cafile.is_file():
            raise KafkaSecurityError(f"KAFKA_SSL_CAFILE {self.ssl_cafile} is not a file")
        return KafkaSecurity(protocol=self.protocol, mechanism=self.mechanism,
                             username=self.username or None, password=password or None,
                             ssl_cafile=self.ssl_cafile)


def security_from_env() -> KafkaSecurity:
    """For tools' composition roots: the security the environment describes."""
    return KafkaSecuritySettings().resolve()
