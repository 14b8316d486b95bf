"""What the contract tests look at: the declarations discovered in the code, once per run."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shared.contracts.files import declared_topics
from shared.contracts.registry import Consumer, Message, ServiceContract, discover
from shared.messaging.topics import TopicSpec

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@cache
def services() -> tuple[ServiceContract, ...]:
    return tuple(discover())


def messages() -> list[Message]:
    return [m for c in services() for m in c.messages]


def consumers() -> list[Consumer]:
    return [consumer for c in services() for consumer in c.consumers]


def topics() -> list[TopicSpec]:
    return declared_topics(CONTRACTS)


def schema_of(message: Message) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONTRACTS / "schemas" / message.schema_file)
                                        .read_text())
    return loaded


def asyncapi() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    return loaded
