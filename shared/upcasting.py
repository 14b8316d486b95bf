"""Upcasters: old versions of an event turned into the current one when they are read.

An upcaster is a pure function from the payload of `<event type>` version N to the payload of
version N+1; a chain of them brings any stored or published version up to date. They run on
read only: the aggregate repository applies them before folding a stream, the consumer runtime
before handing a message to a handler declared for a newer version. Stored events are never
rewritten (the hash chain covers what was recorded), so an upcast event keeps the hashes of the
original and is a view of it, not something to verify.

A service declares its upcasters beside its payload models, in `services/<name>/events.py`:

    UPCASTERS = {("assurance.assurance_received", 1): received_v1_to_v2}

`discovered()` finds them by the event type's prefix (the producing service's name) the first
time an event of that service is read, so nothing is imported at import time. See
contracts/VERSIONING.md for when a change needs a new version.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from shared import errortext
from shared.eventstore import RecordedEvent
from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import ConsumedEvent

Payload = dict[str, Any]
Upcaster = Callable[[Mapping[str, Any]], Payload]
# (event type, the version it reads) -> the function producing the next version's payload
UpcasterKey = tuple[str, int]


class UpcastError(ValueError):
    """An upcaster failed on a payload it was given."""


class Upcasters:
    """A registry of upcasters, optionally filled on demand by a loader per service."""

    def __init__(
        self,
        upcasters: Mapping[UpcasterKey, Upcaster] | None = None,
        loader: Callable[[str], Mapping[UpcasterKey, Upcaster]] | None = None,
    ) -> None:
        self._upcasters: dict[UpcasterKey, Upcaster] = dict(upcasters or {})
        self._loader = loader
        self._loaded: set[str] = set()

    def register(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        key = (event_type, from_version)
        if key in self._upcasters:
            raise ValueError(f"an upcaster from {event_type} v{from_version} already exists")
        self._upcasters[key] = upcaster

    def _lookup(self, event_type: str, version: int) -> Upcaster | None:
        service = event_type.partition(".")[0]
        if self._loader is not None and service not in self._loaded:
            self._loaded.add(service)
            for (kind, from_version), upcaster in self._loader(service).items():
                self._upcasters.setdefault((kind, from_version), upcaster)
        return self._upcasters.get((event_type, version))

    def steps(self, event_type: str, version: int, payload: Mapping[str, Any]
              ) -> Iterator[tuple[int, Payload]]:
        """Each newer (version, payload) the upcasters lead to, oldest first."""
        current: Payload = dict(payload)
        while (upcaster := self._lookup(event_type, version)) is not None:
            try:
                current = upcaster(current)
            except Exception as error:
                # The error's own text may quote the payload (a ValidationError does).
                raise UpcastError(f"upcasting {event_type} v{version} failed: "
                                  f"{errortext.message(error)}") from error
            version += 1
            yield version, current

    def latest(self, event_type: str, version: int, payload: Mapping[str, Any]
               ) -> tuple[int, Payload]:
        """The newest version the upcasters reach, and the payload in that version."""
        latest: tuple[int, Payload] = (version, dict(payload))
        for step in self.steps(event_type, version, payload):
            latest = step
        return latest

    def upcast_recorded(self, event: RecordedEvent) -> RecordedEvent:
        """The stored event in its newest version (the same object when already current).

        Only payload and schema_version change: hashes stay those of the stored original."""
        if self._lookup(event.event_type, event.schema_version) is None:
            return event
        version, payload = self.latest(event.event_type, event.schema_version, event.payload)
        return replace(event, schema_version=version, payload_json=canonical_json(payload))

    def upcast_consumed(self, event: ConsumedEvent, version: int, payload: Payload
                        ) -> ConsumedEvent:
        """A consumed event carrying a payload already upcast to `version`."""
        return replace(event, schema_version=version, data=payload,
                       data_json=canonical_json(payload))


def load_service_upcasters(service: str) -> Mapping[UpcasterKey, Upcaster]:
    """`UPCASTERS` of services/<service>/events.py, or nothing when there is none."""
    name = f"services.{service}.events"
    try:
        found = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # no such service package
        return {}
    if found is None:
        return {}
    upcasters: Mapping[UpcasterKey, Upcaster] = getattr(importlib.import_module(name),
                                                        "UPCASTERS", {})
    return upcasters


_DISCOVERED: Upcasters | None = None


def discovered() -> Upcasters:
    """The process-wide registry: every service's declared upcasters, loaded on first use."""
    global _DISCOVERED
    if _DISCOVERED is None:
        _DISCOVERED = Upcasters(loader=load_service_upcasters)
    return _DISCOVERED
