"""Topic declarations from contracts/topics.yaml, and their creation on a cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.envsettings import EnvSettings
from shared.messaging.kafka import make_admin
from shared.messaging.security import KafkaSecurity


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    producer: str
    key: str
    description: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


class TopicSettings(EnvSettings):
    """Where the topic declarations are (RUNWAY_CONTRACTS_DIR, else <repo>/contracts) and how
    many partitions each topic gets (RUNWAY_TOPIC_PARTITIONS, else what topics.yaml says)."""

    model_config = SettingsConfigDict(env_ignore_empty=True)  # empty means unset

    contracts_dir: Path = Field(default=Path(__file__).resolve().parents[2] / "contracts",
                                validation_alias="RUNWAY_CONTRACTS_DIR")
    partitions: int | None = Field(default=None, ge=1, validation_alias="RUNWAY_TOPIC_PARTITIONS")


def contracts_dir() -> Path:
    return TopicSettings().contracts_dir


def load_topics(path: Path | None = None, partitions: int | None = None,
                namespace: str = "") -> list[TopicSpec]:
    declaration = yaml.safe_load((path or contracts_dir() / "topics.yaml").read_text())
    count = partitions or TopicSettings().partitions or int(declaration.get("partitions", 6))
    replication = int(declaration.get("replication_factor", 1))
    config = {str(k): str(v) for k, v in (declaration.get("config") or {}).items()}
    return [
        TopicSpec(name=namespaced(namespace, t["name"]), producer=t["producer"], key=t["key"],
                  description=t.get("description", ""), partitions=count,
                  replication_factor=replication, config=config)
        for t in declaration["topics"]
    ]


def namespaced(namespace: str, name: str) -> str:
    """A topic or group name inside a namespace (RUNWAY_TOPIC_NAMESPACE), so that several
    Runway installations, or test runs, can share one Kafka cluster without mixing events."""
    return f"{namespace}.{name}" if namespace else name


def events_topic(service: str, namespace: str = "") -> str:
    return namespaced(namespace, f"runway.{service}.events")


def dead_letter_topic(service: str, namespace: str = "") -> str:
    return namespaced(namespace, f"runway.{service}.deadletter")


async def ensure_topics(bootstrap: str, specs: list[TopicSpec],
                        security: KafkaSecurity | None = None) -> list[str]:
    """Create the declared topics that don't exist yet; returns the names created.

    A topic the broker refuses to create (e.g. for want of an ACL) is an error; one that
    another starter created at the same moment is not."""
    admin = make_admin(bootstrap, security=security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            response = await admin.create_topics([
                NewTopic(name=s.name, num_partitions=s.partitions,
                         replication_factor=s.replication_factor,
                         topic_configs=s.config) for s in missing
            ])
            _raise_refusals(response.to_object().get("topic_errors", []))
        return [s.name for s in missing]
    finally:
        await admin.close()


def _raise_refusals(topic_errors: list[dict[str, object]]) -> None:
    for outcome in topic_errors:
        code = int(str(outcome.get("error_code", 0)))
        if code not in (0, TopicAlreadyExistsError.errno):
            raise for_code(code)(f"creating topic {outcome.get('topic')}: "
                                 f"{outcome.get('error_message') or ''}".rstrip(": "))
