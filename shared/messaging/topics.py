"""Topic declarations from contracts/topics.yaml, and their creation on a cluster."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    producer: str
    key: str
    description: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def contracts_dir() -> Path:
    configured = os.environ.get("RUNWAY_CONTRACTS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "contracts"


def load_topics(path: Path | None = None, partitions: int | None = None,
                namespace: str = "") -> list[TopicSpec]:
    declaration = yaml.safe_load((path or contracts_dir() / "topics.yaml").read_text())
    env_partitions = os.environ.get("RUNWAY_TOPIC_PARTITIONS")
    count = partitions or int(env_partitions or declaration.get("partitions", 6))
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


async def ensure_topics(bootstrap: str, specs: list[TopicSpec]) -> list[str]:
    """Create the declared topics that don't exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            # Another starter may create them at the same moment; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([
                    NewTopic(name=s.name, num_partitions=s.partitions,
                             replication_factor=s.replication_factor,
                             topic_configs=s.config) for s in missing
                ])
        return [s.name for s in missing]
    finally:
        await admin.close()
