"""Intake's case streams: where commands load a case and append its events."""

from __future__ import annotations

from shared.aggregate import Repository
from shared.service import ServiceRuntime

from . import domain


def case_repository(runtime: ServiceRuntime) -> Repository[domain.CaseState]:
    return Repository(runtime.store, stream_type="intake_case", topic=runtime.events_topic,
                      initial=domain.initial, evolve=domain.evolve)
