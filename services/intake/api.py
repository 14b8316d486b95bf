"""Intake's HTTP API: operators submit requests, amend charges, read cases and timelines;
privacy officers erase a person's personal data.

Operators send names in clear (over TLS); intake seals them under the person's own key before
anything is written, so the event, the outbox and Kafka only ever carry ciphertext.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, ValidationError
from sqlalchemy.exc import IntegrityError

from shared.errors import InvalidRequest, NotFound, RuleViolation
from shared.eventstore import ConcurrencyConflict, EventContext
from shared.legaltime import TimelineOrder, legal_date
from shared.pii.names import record_new_name
from shared.pii.person import PERSON_CONTEXT, PersonalData
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.errors import database_unavailable
from shared.web.limits import BATCH_BODY
from shared.web.params import CaseIdPath, Limit, Offset
from shared.web.requests import RequestBody

from . import domain, read_model, responses
from . import rules as R  # noqa: N812 (the rule book: R.X)
from .erasure import erase
from .events import Charge, DocumentRef, LegalBasis, Person, RequestSubmitted
from .people import person_view
from .repository import case_repository

log = logging.getLogger("runway.intake.batch")

MAX_BATCH = 500
# Batch items submitted at once: below the database pool, so HTTP requests beside the batch
# still find connections.
BATCH_CONCURRENCY = 8
MAX_CHARGES = 100
MAX_DOCUMENTS = 50


class SubmittedPerson(Person):
    """The person as submitted: aliases bounded, so the sealed form (at most 20,000
    characters of ciphertext) always fits; events written before keep their own."""

    aliases: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = Field(
        default=(), max_length=10)
    # The name shown is "given family": 199 + 1 + 199 fits the 400 characters it is kept in.
    given_names: str = Field(min_length=1, max_length=199)
    family_names: str = Field(min_length=1, max_length=199)


class Submission(RequestBody):
    """An extradition request as an operator submits it."""

    request_reference: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="the requester's own reference (e.g. an OIA file number); unique")
    person: SubmittedPerson
    legal_basis: LegalBasis
    requesting_district: str = Field(max_length=10)
    prosecutor_office: str = Field(min_length=1, max_length=300)
    charges: tuple[Charge, ...] = Field(max_length=MAX_CHARGES)
    provisional_arrest_date: date | None = None
    documents: tuple[DocumentRef, ...] = Field(default=(), max_length=MAX_DOCUMENTS)
    us_request_reference: str | None = Field(default=None, max_length=300)
    requested_on: date | None = Field(
        default=None, description="the request's legal date: the date of the US request or of "
        "the diplomatic note (not after today's legal date); omitted, the request counts "
        "from the moment it is entered")


class Batch(RequestBody):
    # Any item: one that is not a request object is answered `invalid` on its own row, so a
    # bad item never sinks the rest.
    requests: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class Erasure(RequestBody):
    reason: str = Field(min_length=1, max_length=2000,
                        description="the legal ground (e.g. a court order's reference); it is "
                                    "recorded in the log, so it must not contain the person's "
                                    "personal data")


class Amendment(RequestBody):
    charges: tuple[Charge, ...] = Field(max_length=MAX_CHARGES)
    reason: str = Field(min_length=1, max_length=2000)
    amended_on: date | None = Field(
        default=None, description="the amendment's legal date: the superseding indictment's "
        "or the amended request's; omitted: it counts from its entry")
    expected_version: int | None = Field(
        default=None, ge=1, description="the case version you read; a stale one is a 409")


async def submit(runtime: ServiceRuntime, submission: Submission,
                 context: EventContext) -> str:
    repo = case_repository(runtime)
    request = domain.ClearRequest(case_id=domain.new_case_id(), **submission.model_dump())
    domain.check_submission(request, legal_date(runtime.clock.now()))
    person = request.person
    personal = PersonalData(given_names=person.given_names, family_names=person.family_names,
                            aliases=person.aliases, date_of_birth=person.date_of_birth)
    # The person's key is created (and committed) before the event that needs it exists.
    person_id, sealed = await runtime.pii.seal_new_person(PERSON_CONTEXT, personal)
    events = domain.submitted(request, person_id, sealed)
    duplicate = RuleViolation(R.REQUEST_REFERENCE_UNIQUE.id,
                              f"request_reference {submission.request_reference!r} was "
                              "already submitted")
    try:
        async with runtime.command() as conn:
            if submission.request_reference and await read_model.case_for_reference(
                    conn, submission.request_reference):
                raise duplicate
            # The case id was minted above: there is no stream to read.
            state, recorded = await repo.append(conn, repo.new(request.case_id), events,
                                                context)
            assert isinstance(state.request, RequestSubmitted)
            await read_model.record_submission(conn, state.request, recorded[-1].recorded_at)
            await record_new_name(conn, request.case_id, person_id, personal.display_name)
    except IntegrityError as error:
        # Two submissions of one reference at the same moment: the unique index decides.
        if submission.request_reference and "request_reference" in str(error.orig):
            raise duplicate from error
        raise
    return request.case_id


def _batch_item_result(index: int, raw: Any) -> Submission | dict[str, Any]:
    try:
        return Submission.model_validate(raw)
    except ValidationError as error:
        return {"index": index, "outcome": "invalid", "errors": [
            {"loc": ["body", "requests", index, *e["loc"]], "type": e["type"], "msg": e["msg"]}
            for e in error.errors()]}


async def _submit_item(runtime: ServiceRuntime, index: int, raw: Any,
                       context: EventContext) -> dict[str, Any]:
    parsed = _batch_item_result(index, raw)
    if isinstance(parsed, dict):
        return parsed
    try:
        case_id = await submit(runtime, parsed, context)
        return {"index": index, "outcome": "created", "case_id": case_id}
    except InvalidRequest as error:
        return {"index": index, "outcome": "invalid", "errors": [
            {**p.as_dict(), "loc": ["body", "requests", index, *p.loc]}
            for p in error.problems]}
    except RuleViolation as error:
        return {"index": index, "outcome": "rejected", "rule": error.rule,
                "detail": error.message}
    except ConcurrencyConflict as error:
        return {"index": index, "outcome": "rejected", "rule": "concurrency_conflict",
                "detail": str(error)}
    except Exception as error:  # the service's fault, not this request's: the batch still
        return _item_error(index, error)  # answers every other item


def _item_error(index: int, error: Exception) -> dict[str, Any]:
    """One item the service could not record (its transaction rolled back, or, with the
    connection lost at the commit, its outcome unknown): answered on its own row, so a batch
    never sinks on one item and the operator sees which requests to send again."""
    if database_unavailable(error):
        log.warning("batch item %d: database unavailable", index, exc_info=error)
        return {"index": index, "outcome": "error", "error": "database_unavailable",
                "detail": "the database was unavailable: this request may not have been "
                          "recorded; send it again (with its request_reference, a repeat of "
                          "one recorded is refused)"}
    log.error("batch item %d: unexpected error", index, exc_info=error)
    return {"index": index, "outcome": "error", "error": "internal_error",
            "detail": "an internal error occurred (see the logs); this request was not "
                      "recorded: send it again"}


async def submit_all(runtime: ServiceRuntime, items: list[Any],
                     context: EventContext) -> list[dict[str, Any]]:
    """Each item in its own transaction, BATCH_CONCURRENCY at a time: one after another, a
    batch of 37 spent nearly all its time waiting for each commit's round trips and flush.
    An item repeating an earlier item's request_reference runs after every other item, so
    the first one still wins, as it would in order."""
    seen: set[str] = set()
    first: list[int] = []
    repeats: list[int] = []
    for index, raw in enumerate(items):
        reference = raw.get("request_reference") if isinstance(raw, dict) else None
        key = reference if isinstance(reference, str) else None
        (repeats if key is not None and key in seen else first).append(index)
        if key is not None:
            seen.add(key)
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def one(index: int) -> dict[str, Any]:
        async with gate:
            return await _submit_item(runtime, index, items[index], context)

    results = dict(zip(first, await asyncio.gather(*(one(i) for i in first)), strict=True))
    for index in repeats:
        results[index] = await _submit_item(runtime, index, items[index], context)
    return [results[index] for index in range(len(items))]


def routes(runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(prefix="/cases", tags=["cases"])

    @router.post("", status_code=201, summary="Submit an extradition request",
                 response_model=responses.Submitted)
    async def submit_request(submission: Submission, rt: Runtime, context: Context,
                             response: Response) -> dict[str, str]:
        case_id = await submit(rt, submission, context)
        response.headers["Location"] = f"/cases/{case_id}"
        return {"case_id": case_id, "status": "submitted"}

    @router.post("/batch", summary="Submit many requests; one result per item",
                 openapi_extra=BATCH_BODY,  # up to RUNWAY_MAX_BATCH_REQUEST_BYTES
                 response_model=responses.BatchResult)
    async def submit_batch(batch: Batch, rt: Runtime, context: Context) -> dict[str, Any]:
        results = await submit_all(rt, batch.requests, context)
        created = sum(r["outcome"] == "created" for r in results)
        return {"created": created, "failed": len(results) - created, "results": results}

    @router.put("/{case_id}/charges", summary="Replace the charges (e.g. add a count)",
                response_model=responses.Amended)
    async def amend(case_id: CaseIdPath, amendment: Amendment, rt: Runtime,
                    context: Context) -> dict[str, Any]:
        repo = case_repository(rt)
        async with rt.command() as conn:
            loaded = await repo.load_existing(conn, case_id)
            if amendment.expected_version not in (None, loaded.version):
                raise ConcurrencyConflict(case_id, amendment.expected_version or 0,
                                          loaded.version)
            events = domain.amend_charges(loaded.state, amendment.charges, amendment.reason,
                                          amendment.amended_on, legal_date(rt.clock.now()))
            _, recorded = await repo.append(conn, loaded, events, context)
        return {"case_id": case_id, "version": recorded[-1].version}

    @router.post("/{case_id}/personal-data/erasure",
                 summary="Erase the person's personal data (deletes their key)",
                 response_model=responses.Erased)
    async def erase_personal_data(case_id: CaseIdPath, erasure: Erasure, rt: Runtime,
                                  context: Context) -> dict[str, Any]:
        return await erase(rt, case_id, erasure.reason, context)

    @router.get("/{case_id}", summary="A case: the request and where it stands",
                response_model=responses.CaseDetail)
    async def show(case_id: CaseIdPath, rt: Runtime) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            summary = await read_model.get_case(conn, case_id)
            if summary is None:
                raise NotFound("case", case_id)
            loaded = await case_repository(rt).load(conn, case_id)
        request = loaded.state.request
        assert request is not None
        return {**summary, "version": loaded.version,
                "request": {**request.model_dump(mode="json"),
                            "person": await person_view(rt.pii, loaded.state)}}

    @router.get("/{case_id}/timeline", summary="Every event of the case, from every service",
                response_model=responses.Timeline)
    async def timeline(
        case_id: CaseIdPath, rt: Runtime,
        order: Annotated[TimelineOrder, Query(
            description="legal: in the order the acts happened in law (occurred_at); "
                        "recorded: in the order Runway recorded them")] = TimelineOrder.LEGAL,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            if await read_model.get_case(conn, case_id) is None:
                raise NotFound("case", case_id)
            events = await read_model.case_timeline(conn, case_id, order)
        return {"case_id": case_id, "order": order.value, "events": events}

    @router.get("", summary="Cases, filtered by status or clearance",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        status: Annotated[read_model.CaseStatus | None, Query()] = None,
        clearance: Annotated[read_model.Clearance | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(conn, status=status, clearance=clearance,
                                                limit=limit, offset=offset)
        return {"cases": found, "count": len(found)}

    return [router]


