"""What the contracts are generated from, discovered in the code of every service.

A service's `events.py` declares (all optional but the first):
- EVENT_MODELS: {event type: pydantic model of the version it publishes now};
- SCHEMA_VERSION (default 1) and SCHEMA_VERSIONS: {event type: version}, the current versions;
- PAST_MODELS: {(event type, version): model} of the versions it no longer publishes;
- UPCASTERS: {(event type, version): function} from each past version to the next;
- READ_SIDE_BY_SIDE: {(event type, version): why} past versions with no upcaster, which every
  consumer of the type handles beside the newer ones (e.g. v2 seals what v1 held in clear).
Its consumers are the ConsumerSpecs of its ServiceSpec; the handler keys are the ce_types
they declare ("*" receives every message of its topics).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from shared.consumer import ALL_TYPES
from shared.discovery import services_with
from shared.messaging.cloudevents import ce_type
from shared.messaging.topics import events_topic
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from shared.upcasting import Upcaster, UpcasterKey


@dataclass(frozen=True)
class Message:
    """One version of one event type, as published on its producer's events topic."""

    service: str
    event_type: str
    version: int
    model: type[BaseModel]
    current: bool  # produced now; a past version is only read (and upcast)
    # A past version with no upcaster: consumers handle it beside the newer versions.
    read_side_by_side: bool = False

    @property
    def ce_type(self) -> str:
        return ce_type(self.event_type, self.version)

    @property
    def topic(self) -> str:
        return events_topic(self.service)

    @property
    def schema_file(self) -> str:
        return f"{self.ce_type}.json"


@dataclass(frozen=True)
class Consumer:
    """One consumer group of a service: the topics it reads and the ce_types it handles."""

    service: str
    name: str
    topics: tuple[str, ...]
    ce_types: tuple[str, ...]
    receives_all: bool


@dataclass(frozen=True)
class ServiceContract:
    name: str
    spec: ServiceSpec
    messages: tuple[Message, ...]
    upcasters: Mapping[UpcasterKey, Upcaster]
    side_by_side: Mapping[UpcasterKey, str] = field(default_factory=dict)

    @cached_property
    def runtime(self) -> ServiceRuntime:
        """A runtime built only to read the routes and consumers the spec declares.

        Building it creates an SQLAlchemy engine object on an in-memory SQLite URL, which
        connects to nothing; no Kafka client is created until something is started."""
        settings = ServiceSettings(
            service_name=self.name, service_database_url="sqlite+aiosqlite:///:memory:",
            topic_namespace="", kafka_bootstrap_servers="127.0.0.1:9092")
        return ServiceRuntime(self.spec, settings)

    @cached_property
    def consumers(self) -> tuple[Consumer, ...]:
        return tuple(
            Consumer(service=self.name, name=c.name, topics=tuple(c.topics),
                     ce_types=tuple(sorted(k for k in c.handlers if k != ALL_TYPES)),
                     receives_all=ALL_TYPES in c.handlers)
            for c in self.spec.consumers(self.runtime))


def service_names() -> list[str]:
    """Every package under services/ with a `service` module (its SPEC), sorted: a new
    service is picked up on its own; the console, which has no events, is not one."""
    return services_with("service")


def events_module(service: str) -> ModuleType | None:
    name = f"services.{service}.events"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def messages_of(service: str, module: ModuleType | None) -> tuple[Message, ...]:
    if module is None:
        return ()
    models: Mapping[str, type[BaseModel]] = getattr(module, "EVENT_MODELS", {})
    default_version = int(getattr(module, "SCHEMA_VERSION", 1))
    versions: Mapping[str, int] = getattr(module, "SCHEMA_VERSIONS", {})
    past: Mapping[tuple[str, int], type[BaseModel]] = getattr(module, "PAST_MODELS", {})
    side_by_side: Mapping[UpcasterKey, str] = getattr(module, "READ_SIDE_BY_SIDE", {})
    found = [Message(service, t, versions.get(t, default_version), m, current=True)
             for t, m in models.items()]
    found += [Message(service, t, v, m, current=False,
                      read_side_by_side=(t, v) in side_by_side)
              for (t, v), m in past.items()]
    return tuple(sorted(found, key=lambda m: (m.event_type, m.version)))


def discover() -> list[ServiceContract]:
    contracts = []
    for name in service_names():
        spec: ServiceSpec = importlib.import_module(f"services.{name}.service").SPEC
        module = events_module(name)
        upcasters: Mapping[UpcasterKey, Upcaster] = getattr(module, "UPCASTERS", {})
        side_by_side: Mapping[UpcasterKey, str] = getattr(module, "READ_SIDE_BY_SIDE", {})
        contracts.append(ServiceContract(name, spec, messages_of(name, module), upcasters,
                                         side_by_side))
    return contracts


def version_problems(contract: ServiceContract) -> list[str]:
    """Breaks of the versioning rules in a service's declarations (contracts/VERSIONING.md)."""
    problems: list[str] = []
    by_type: dict[str, list[Message]] = {}
    for message in contract.messages:
        by_type.setdefault(message.event_type, []).append(message)
        if not message.event_type.startswith(f"{contract.name}."):
            problems.append(f"{message.event_type}: event types of {contract.name} must start "
                            f"with '{contract.name}.'")
    for event_type, messages in by_type.items():
        versions = [m.version for m in messages]
        current = [m.version for m in messages if m.current]
        if versions != list(range(1, len(versions) + 1)) or current != [max(versions)]:
            problems.append(f"{event_type}: versions {versions} (current {current}) must run "
                            "1..N without gaps, the current one being N")
        for version in versions[:-1]:
            key = (event_type, version)
            if key in contract.upcasters and key in contract.side_by_side:
                problems.append(f"{event_type}: v{version} has an upcaster and is also "
                                "declared as read side by side")
            elif key not in contract.upcasters and key not in contract.side_by_side:
                problems.append(f"{event_type}: no upcaster from v{version} to v{version + 1} "
                                "(nor a READ_SIDE_BY_SIDE declaration)")
    for event_type, version in contract.upcasters:
        if version + 1 not in [m.version for m in by_type.get(event_type, [])]:
            problems.append(f"{event_type}: an upcaster from v{version} leads to an undeclared "
                            f"v{version + 1}")
    return problems


def model_doc(model: type[BaseModel]) -> str | None:
    doc: Any = model.__dict__.get("__doc__")
    return doc.strip() if isinstance(doc, str) and doc.strip() else None
