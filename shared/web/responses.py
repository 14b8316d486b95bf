"""The building blocks of every service's response models.

A response model is a route's `response_model`: FastAPI checks each answer against it, so the
OpenAPI document describes what the service really sends. They forbid extra fields: a handler
that starts returning a field its model lacks fails its tests (a 500) instead of the field
being dropped from the answer without a word.

Instants and days stay the strings the read models already write (`iso_utc`, `date.isoformat`),
typed by their JSON Schema format, so no answer changes shape by being described.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.pii.person import ERASED

IsoInstant = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                                  description="an instant in UTC, ISO 8601 "
                                              "(e.g. 2025-08-12T18:00:00.000000Z)")]
IsoDay = Annotated[str, Field(json_schema_extra={"format": "date"},
                              description="a calendar day, ISO 8601 (e.g. 2025-08-12)")]
EventPayload = Annotated[dict[str, Any], Field(
    description="the event's payload, as contracts/schemas/<event_type>.v<schema_version>.json "
                "describes it")]
# The person's name as a service shows it (from person_names, never from its audited tables).
ShownName = Annotated[str | None, Field(description=f'"{ERASED}" once erased; null when unknown')]


class ResponseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(ResponseBody):
    status: str = Field(examples=["ok"])
    service: str


class ReadinessChecks(ResponseBody):
    database: bool
    kafka: bool
    background: bool = Field(description="no background task (relay, consumer) has failed")


class Readiness(ResponseBody):
    ready: bool
    checks: ReadinessChecks
