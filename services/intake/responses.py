"""What intake's API answers, as typed models (see shared/web/responses.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from shared.web.responses import EventPayload, IsoInstant, ResponseBody, ShownName

from .events import Charge, DocumentRef, LegalBasis
from .read_model import CaseStatus, Clearance


class Submitted(ResponseBody):
    case_id: str
    status: Literal["submitted"]


class ItemProblem(ResponseBody):
    loc: list[str | int] = Field(description="where in the batch body: body, requests, index, ...")
    type: str
    msg: str


class Created(ResponseBody):
    index: int
    outcome: Literal["created"]
    case_id: str


class Invalid(ResponseBody):
    index: int
    outcome: Literal["invalid"]
    errors: list[ItemProblem]


class Rejected(ResponseBody):
    index: int
    outcome: Literal["rejected"]
    rule: str = Field(description="the rule the request broke, e.g. request_reference_unique")
    detail: str


class Errored(ResponseBody):
    index: int
    outcome: Literal["error"]
    error: Literal["database_unavailable", "internal_error"]
    detail: str = Field(description="what became of the request: send it again (with its "
                        "request_reference, a repeat of one recorded is refused)")


BatchItem = Annotated[Created | Invalid | Rejected | Errored, Field(discriminator="outcome")]


class BatchResult(ResponseBody):
    created: int
    failed: int
    results: list[BatchItem] = Field(description="one per request, in the order sent")


class Amended(ResponseBody):
    case_id: str
    version: int


class Erased(ResponseBody):
    case_id: str
    person_id: str
    erased_at: IsoInstant
    version: int = Field(description="the case's version after the erasure event")


class CaseSummary(ResponseBody):
    case_id: str
    full_name: ShownName
    legal_basis: LegalBasis = Field(
        description="the basis the case is on now: the request's, until judicial records a "
        "basis change (judicial.basis_changed)")
    requesting_district: str
    status: CaseStatus
    clearance: Clearance
    request_reference: str | None
    submitted_at: IsoInstant
    updated_at: IsoInstant


class PersonView(ResponseBody):
    person_id: str | None = Field(description="null for a request recorded before sealing")
    given_names: str | None
    family_names: str | None
    aliases: list[str]
    date_of_birth: date | None
    nationality: str
    personal_data: Literal["sealed", "erased", "unreadable", "in_clear"] = Field(
        description="sealed: opened with the person's key; erased: the key is gone; "
                    "unreadable: the key store does not open it; in_clear: recorded before "
                    "sealing (v1)")
    erased_at: IsoInstant | None


class RequestView(ResponseBody):
    """The request as submitted, with the person opened (or marked erased)."""

    case_id: str
    person: PersonView
    legal_basis: LegalBasis
    requesting_district: str
    prosecutor_office: str
    charges: list[Charge]
    provisional_arrest_date: date | None
    documents: list[DocumentRef]
    us_request_reference: str | None
    request_reference: str | None
    requested_on: date | None = Field(
        default=None, description="the request's legal date as given (the US request's or the "
        "diplomatic note's); null: none given, it counts from its entry")


class CaseDetail(CaseSummary):
    version: int
    request: RequestView


class TimelineEvent(ResponseBody):
    event_id: str = Field(json_schema_extra={"format": "uuid"})
    source: str = Field(description="the CloudEvents source, e.g. /runway/judicial")
    event_type: str
    schema_version: int
    stream_version: int
    occurred_at: IsoInstant
    recorded_at: IsoInstant
    actor: str = Field(description="subject (role)")
    data: EventPayload


class Timeline(ResponseBody):
    case_id: str
    order: Literal["legal", "recorded"] = Field(
        description="legal: by occurred_at, the acts' legal time; recorded: by recorded_at")
    events: list[TimelineEvent] = Field(
        description="in the order asked for, each with its legal time (occurred_at) and its "
                    "recorded time (recorded_at)")


class CaseList(ResponseBody):
    cases: list[CaseSummary]
    count: int
