"""The court clerks' HTTP API: docket, initial appearance, detention, arraignment, superseding
indictments and Mexico's specialty consent, the end of the proceedings; and the intake records
as everyone reads them.

Every step is `POST /cases/{case_id}/<step>`: one transaction that loads the case, decides
(domain.py), appends and projects. A step the case's state forbids is a 409 naming the rule;
an unknown case a 404; a bad body a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.errors import InvalidRequest, NotFound, Problem
from shared.eventstore import EventContext
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.params import Instant, Offset

from . import domain, handling, read_model, responses
from . import rules as R  # noqa: N812 (the rule book: R.X)
from .events import ChargeText, Plea, SpecialtyException
from .settings import settings_of
from .view import as_of, case_view

ChargeId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
CaseId = Annotated[str, Path(min_length=1, max_length=200)]
ChargeIds = Annotated[list[ChargeId], Field(min_length=1, max_length=100)]
Result = dict[str, Any]
# US district abbreviations (EDNY, DDC, DPR): a filter no district can match is a 422.
DISTRICT = r"^[A-Z]{2,5}$"
Command = Callable[[ServiceRuntime, str, handling.Decision, EventContext], Awaitable[Result]]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocketBody(Body):
    docket_number: str = Field(min_length=1, max_length=100,
                               pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/()-]*$",
                               examples=["1:09-cr-00466"])


class InitialAppearanceBody(Body):
    """Rule 5: the person before a magistrate judge in the charging district."""

    held_at: Instant = Field(description="when the appearance took place (with offset)")
    magistrate: Text


class DetentionBody(Body):
    """The detention hearing's result: detained, or released on conditions."""

    decided_on: date
    outcome: Literal["detained", "released_on_conditions"]
    conditions: LongText | None = Field(default=None,
                                        description="required for released_on_conditions")
    grounds: LongText | None = Field(default=None, description="why detention was ordered")


class ArraignmentBody(Body):
    arraigned_on: date
    plea: Plea = Field(description="guilty | not_guilty | nolo_contendere")
    charge_ids: ChargeIds


class ChargeBody(Body):
    charge_id: ChargeId
    statute: Text
    description: LongText
    facts_of: ChargeId | None = Field(
        default=None, description="the charge of the case whose facts (as the extradition "
        "request described them) this count re-describes, e.g. a granted count under a new "
        "statute (treaty art. 17(2)); omitted: a count restated under its own statute keeps "
        "its facts, any other rests on other facts and needs Mexico's consent")


class SupersedingIndictmentBody(Body):
    filed_on: date
    charges: list[ChargeBody] = Field(min_length=1, max_length=100)


class ConsentRequestBody(Body):
    """The US asked Mexico to consent to prosecution on charges outside the grant."""

    requested_on: date
    charge_ids: ChargeIds
    diplomatic_note_reference: Text | None = None


class ConsentBody(Body):
    """Mexico's answer by diplomatic note."""

    granted: StrictBool
    decided_on: date
    diplomatic_note_reference: Text
    charge_ids: ChargeIds


class SpecialtyExceptionBody(Body):
    """A finding that an exception of treaty art. 17 applies (each exception its own facts)."""

    exception: SpecialtyException
    found_on: date
    reference: Text = Field(description="the court's finding or order")
    free_to_leave_on: date | None = Field(default=None,
                                          description="stayed_after_free_to_leave")
    left_on: date | None = Field(default=None, description="left_and_returned")
    returned_on: date | None = Field(default=None, description="left_and_returned")
    committed_on: date | None = Field(default=None, description="offence_after_extradition")
    charge_ids: list[ChargeId] = Field(default_factory=list, max_length=100,
                                       description="offence_after_extradition: the counts")


class ReextraditionRequestBody(Body):
    """A third state asked the US for the person."""

    requesting_state: Text
    requested_on: date
    reference: Text | None = None


class ReextraditionConsentBody(Body):
    """Mexico's answer by diplomatic note on onward extradition to a third state."""

    requesting_state: Text
    granted: StrictBool
    decided_on: date
    diplomatic_note_reference: Text


class OnwardSurrenderBody(Body):
    requesting_state: Text
    surrendered_on: date


class ProceedingsEndedBody(Body):
    ended_on: date
    outcome: Text = Field(examples=["convicted", "acquitted", "dismissed"])


def _detention_detail(body: DetentionBody) -> str | None:
    """Conditions belong to a release and only to it (422 naming the field otherwise)."""
    released = body.outcome == "released_on_conditions"
    if released and body.conditions is None:
        raise InvalidRequest([Problem(("conditions",), R.CONDITIONS_MISSING.id,
                                      "a release on conditions must state the conditions")])
    if not released and body.conditions is not None:
        raise InvalidRequest([Problem(("conditions",), R.CONDITIONS_NOT_ALLOWED.id,
                                      "conditions apply only to released_on_conditions")])
    return body.conditions if released else body.grounds


def _facts_of(body: SupersedingIndictmentBody) -> dict[str, str]:
    return {c.charge_id: c.facts_of for c in body.charges if c.facts_of is not None}


def _counts(body: SupersedingIndictmentBody) -> tuple[ChargeText, ...]:
    seen: set[str] = set()
    for index, charge in enumerate(body.charges):
        if charge.charge_id in seen:
            raise InvalidRequest([Problem(("charges", index, "charge_id"), R.COUNT_DUPLICATE.id,
                                          f"count {charge.charge_id} appears twice")])
        seen.add(charge.charge_id)
    return tuple(ChargeText(charge_id=c.charge_id, statute=c.statute,
                            description=c.description) for c in body.charges)


def _step_routes(router: APIRouter, command: Command) -> None:
    @router.post("/{case_id}/docket", summary="Record the case's docket number",
                 response_model=responses.CaseView)
    async def docket(case_id: CaseId, body: DocketBody, rt: Runtime,
                     context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.assign_docket(
            s, body.docket_number, now), context)

    @router.post("/{case_id}/initial-appearance",
                 summary="Record the initial appearance (Rule 5); late ones are flagged",
                 response_model=responses.CaseView)
    async def initial_appearance(case_id: CaseId, body: InitialAppearanceBody, rt: Runtime,
                                 context: Context) -> dict[str, Any]:
        now, policy = rt.clock.now(), settings_of(rt).policy()
        return await command(rt, case_id, lambda s: domain.hold_initial_appearance(
            s, body.held_at, body.magistrate, now, policy), context)

    @router.post("/{case_id}/detention-hearing",
                 summary="Record detention ordered, or release on conditions",
                 response_model=responses.CaseView)
    async def detention(case_id: CaseId, body: DetentionBody, rt: Runtime,
                        context: Context) -> dict[str, Any]:
        detail = _detention_detail(body)
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.decide_detention(
            s, body.outcome, body.decided_on, detail, now), context)

    @router.post("/{case_id}/arraignment",
                 summary="Record an arraignment and plea (granted or consented charges only)",
                 response_model=responses.CaseView)
    async def arraignment(case_id: CaseId, body: ArraignmentBody, rt: Runtime,
                          context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.arraign(
            s, body.arraigned_on, body.plea, body.charge_ids, now), context)

    @router.post("/{case_id}/proceedings-ended", summary="Record the end of the proceedings "
                 "(a temporary surrender then falls due for return to Mexico)",
                 response_model=responses.CaseView)
    async def proceedings_ended(case_id: CaseId, body: ProceedingsEndedBody, rt: Runtime,
                                context: Context) -> dict[str, Any]:
        now, policy = rt.clock.now(), settings_of(rt).policy()
        return await command(rt, case_id, lambda s: domain.end_proceedings(
            s, body.ended_on, body.outcome, now, policy), context)


def _specialty_routes(router: APIRouter, command: Command) -> None:
    @router.post("/{case_id}/superseding-indictment", status_code=201,
                 summary="Record a superseding indictment; counts outside the grant are "
                         "blocked until Mexico consents",
                 response_model=responses.CaseView)
    async def superseding(case_id: CaseId, body: SupersedingIndictmentBody, rt: Runtime,
                          context: Context) -> dict[str, Any]:
        counts, facts_of = _counts(body), _facts_of(body)
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.file_superseding_indictment(
            s, body.filed_on, counts, now, facts_of), context)

    @router.post("/{case_id}/specialty-consent-requests", status_code=201,
                 summary="Record that Mexico's consent was requested (rule of specialty)",
                 response_model=responses.CaseView)
    async def consent_request(case_id: CaseId, body: ConsentRequestBody, rt: Runtime,
                              context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.request_consent(
            s, body.charge_ids, body.requested_on, body.diplomatic_note_reference, now),
            context)

    @router.post("/{case_id}/specialty-consent",
                 summary="Record Mexico's consent (or refusal) for charges outside the grant",
                 response_model=responses.CaseView)
    async def consent(case_id: CaseId, body: ConsentBody, rt: Runtime,
                      context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.decide_consent(
            s, body.granted, body.charge_ids, body.decided_on, body.diplomatic_note_reference,
            now), context)


def _onward_routes(router: APIRouter, command: Command) -> None:
    @router.post("/{case_id}/specialty-exceptions", status_code=201,
                 summary="Record an exception of treaty art. 17 that lifts the specialty bar",
                 response_model=responses.CaseView)
    async def specialty_exception(case_id: CaseId, body: SpecialtyExceptionBody, rt: Runtime,
                                  context: Context) -> dict[str, Any]:
        now, policy = rt.clock.now(), settings_of(rt).policy()
        facts = domain.ExceptionFacts(
            free_to_leave_on=body.free_to_leave_on, left_on=body.left_on,
            returned_on=body.returned_on, committed_on=body.committed_on,
            charge_ids=tuple(body.charge_ids))
        return await command(rt, case_id, lambda s: domain.record_specialty_exception(
            s, body.exception, facts, body.found_on, body.reference, now, policy), context)

    @router.post("/{case_id}/reextradition-requests", status_code=201,
                 summary="Record a third state's request for the person",
                 response_model=responses.CaseView)
    async def reextradition_request(case_id: CaseId, body: ReextraditionRequestBody,
                                    rt: Runtime, context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.request_reextradition(
            s, body.requesting_state, body.requested_on, body.reference, now), context)

    @router.post("/{case_id}/reextradition-consent",
                 summary="Record Mexico's consent (or refusal) to onward extradition",
                 response_model=responses.CaseView)
    async def reextradition_consent(case_id: CaseId, body: ReextraditionConsentBody,
                                    rt: Runtime, context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.decide_reextradition_consent(
            s, body.requesting_state, body.granted, body.decided_on,
            body.diplomatic_note_reference, now), context)

    @router.post("/{case_id}/onward-surrender",
                 summary="Record surrender to a third state (refused without Mexico's "
                         "consent unless specialty no longer binds)",
                 response_model=responses.CaseView)
    async def onward_surrender(case_id: CaseId, body: OnwardSurrenderBody, rt: Runtime,
                               context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.surrender_onward(
            s, body.requesting_state, body.surrendered_on, now), context)


def routes(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(prefix="/cases", tags=["cases"])

    async def command(rt: ServiceRuntime, case_id: str, decide: handling.Decision,
                      context: EventContext) -> dict[str, Any]:
        async with rt.command() as conn:
            state = await handling.run(rt, conn, case_id, decide, context)
            view = await read_model.named(conn, case_view(state))
        limit = settings_of(rt).initial_appearance_limit_hours
        return as_of(view, rt.clock.now(), limit)

    _step_routes(router, command)
    _specialty_routes(router, command)
    _onward_routes(router, command)

    @router.get("/{case_id}", summary="An intake record: district, docket, appearance, "
                "charges (prosecutable or blocked), specialty, return obligation",
                response_model=responses.CaseView)
    async def show(case_id: CaseId, rt: Runtime) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.get_case(conn, case_id)
        if found is None:
            raise NotFound("intake record", case_id)
        return as_of(found, rt.clock.now(), settings_of(rt).initial_appearance_limit_hours)

    @router.get("", summary="Intake records by district, status, overdue initial appearance",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        district: Annotated[str | None, Query(
            pattern=DISTRICT, description="a US district's abbreviation, e.g. EDNY")] = None,
        status: Annotated[responses.CourtStatus | None, Query()] = None,
        overdue_appearance: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(
                conn, district=district, status_=status, overdue_appearance=overdue_appearance,
                now=rt.clock.now(), limit_hours=settings_of(rt).initial_appearance_limit_hours,
                limit=limit, offset=offset)
        return {"cases": found, "count": len(found)}

    return [router]
