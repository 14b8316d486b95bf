"""Kafka client factories with Runway's delivery guarantees built in.

Every factory takes the client security (shared.messaging.security); None is plaintext, which
builds the client exactly as before authentication existed.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.envsettings import EnvSettings
from shared.messaging.security import KafkaSecurity, options


class KafkaSettings(EnvSettings):
    """Where the cluster is: KAFKA_BOOTSTRAP_SERVERS, else the local broker of
    deploy/kafka/kafka.sh on KAFKA_PORT (9092). Empty counts as unset."""

    model_config = SettingsConfigDict(env_ignore_empty=True)  # empty means unset

    bootstrap_servers: str = Field(default="", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    port: int = Field(default=9092, ge=1, le=65535, validation_alias="KAFKA_PORT")

    def bootstrap(self) -> str:
        return self.bootstrap_servers or f"127.0.0.1:{self.port}"

    @property
    def port_configured(self) -> bool:
        """Whether KAFKA_PORT was set (it then names the local broker to use)."""
        return "port" in self.model_fields_set


def default_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS, else the local broker of deploy/kafka/kafka.sh."""
    return KafkaSettings().bootstrap()


# How stale a consumer's picture of the partitions' leaders may get. aiokafka 0.14 does not
# refresh it when a partition's first-offset lookup hits NotLeaderForPartition after a broker
# failover (its offset-reset path only logs and retries; the Java client's KAFKA-9535), so a
# consumer that took the partition over in a rebalance asked the old leader for minutes, until
# the default refresh (5 minutes). A metadata request every 5 s per client is cheap.
METADATA_MAX_AGE_MS = 5_000


def make_producer(bootstrap: str, client_id: str, *, linger_ms: int = 2,
                  security: KafkaSecurity | None = None) -> AIOKafkaProducer:
    """A producer that never loses or duplicates on retry: every in-sync replica acknowledges
    and the broker de-duplicates retried batches (idempotence)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=512 * 1024,
        request_timeout_ms=30_000,
        **options(security),
    )


def make_consumer(bootstrap: str, group_id: str, topics: list[str], *,
                  security: KafkaSecurity | None = None) -> AIOKafkaConsumer:
    """A group consumer whose offsets move only when the caller commits them, after its own
    database transaction has committed."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=500,
        fetch_max_wait_ms=100,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        **options(security),
    )


def make_admin(bootstrap: str, *, security: KafkaSecurity | None = None,
               **settings: int | str) -> AIOKafkaAdminClient:
    """An admin client (topics, metadata, ACLs); `settings` are AIOKafkaAdminClient's own,
    e.g. request_timeout_ms."""
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, **settings, **options(security))
