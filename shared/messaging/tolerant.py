"""The base of a consumer's tolerant reader: a view of another service's event payload that
names only the fields the consumer needs and ignores the rest, so that a producer adding a
field (an additive change, see contracts/VERSIONING.md) never breaks its consumers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CaseEvent(Tolerant):
    """A view of an event about one case: whatever else it reads, it names the case."""

    case_id: str = Field(min_length=1)
