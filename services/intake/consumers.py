"""Intake listens to every service's case events to keep each case's timeline and status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import ALL_TYPES
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ConsumerSpec, ServiceRuntime
from shared.topology import SERVICES

from . import read_model


async def on_case_event(event: ConsumedEvent, conn: AsyncConnection) -> None:
    await read_model.apply_to_timeline(conn, event)


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    return [ConsumerSpec(name="intake.timeline",
                         topics=[runtime.events_topic_of(s) for s in SERVICES],
                         handlers={ALL_TYPES: on_case_event})]
