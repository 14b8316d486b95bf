"""The court clerks' HTTP API: docket, initial appearance, detention, arraignment, superseding
indictments and Mexico's specialty consent, the end of the proceedings; and the intake records
as everyone reads them.

Every step is `POST /cases/{case_id}/<step>`: one transaction that loads the case, decides
(domain.py), appends and projects. A step the case's state forbids is a 409 naming the rule;
an unknown case a 404; a bad body a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import Field, StrictBool, StringConstraints

from shared.errors import InvalidRequest, Problem
from shared.eventstore import EventContext, NewEvent
from shared.service import ServiceRuntime
from shared.web.app import Runtime
from shared.web.params import Instant, Limit, Offset
from shared.web.reads import add_show
from shared.web.requests import ChargeId, RequestBody, ShortText
from shared.web.steps import Step, register

from . import domain, handling, read_model, responses
from . import rules as R  # noqa: N812 (the rule book: R.X)
from .domain import Policy
from .events import ChargeText, Plea, SpecialtyException
from .settings import settings_of
from .view import as_of, case_view

LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
CaseId = Annotated[str, Path(min_length=1, max_length=200)]
ChargeIds = Annotated[list[ChargeId], Field(min_length=1, max_length=100)]
Result = dict[str, Any]
# US district abbreviations (EDNY, DDC, DPR): a filter no district can match is a 422.
DISTRICT = r"^[A-Z]{2,5}$"


class DocketBody(RequestBody):
    docket_number: str = Field(min_length=1, max_length=100,
                               pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/()-]*$",
                               examples=["1:09-cr-00466"])


class InitialAppearanceBody(RequestBody):
    """Rule 5: the person before a magistrate judge in the charging district."""

    held_at: Instant = Field(description="when the appearance took place (with offset)")
    magistrate: ShortText


class DetentionBody(RequestBody):
    """The detention hearing's result: detained, or released on conditions."""

    decided_on: date
    outcome: Literal["detained", "released_on_conditions"]
    conditions: LongText | None = Field(default=None,
                                        description="required for released_on_conditions")
    grounds: LongText | None = Field(default=None, description="why detention was ordered")


class ArraignmentBody(RequestBody):
    arraigned_on: date
    plea: Plea = Field(description="guilty | not_guilty | nolo_contendere")
    charge_ids: ChargeIds


class ChargeBody(RequestBody):
    charge_id: ChargeId
    statute: ShortText
    description: LongText
    facts_of: ChargeId | None = Field(
        default=None, description="the charge of the case whose facts (as the extradition "
        "request described them) this count re-describes, e.g. a granted count under a new "
        "statute (treaty art. 17(2)); omitted: a count restated under its own statute keeps "
        "its facts, any other rests on other facts and needs Mexico's consent")


class SupersedingIndictmentBody(RequestBody):
    filed_on: date
    charges: list[ChargeBody] = Field(min_length=1, max_length=100)


class ConsentRequestBody(RequestBody):
    """The US asked Mexico to consent to prosecution on charges outside the grant."""

    requested_on: date
    charge_ids: ChargeIds
    diplomatic_note_reference: ShortText | None = None


class ConsentBody(RequestBody):
    """Mexico's answer by diplomatic note."""

    granted: StrictBool
    decided_on: date
    diplomatic_note_reference: ShortText
    charge_ids: ChargeIds


class SpecialtyExceptionBody(RequestBody):
    """A finding that an exception of treaty art. 17 applies (each exception its own facts)."""

    exception: SpecialtyException
    found_on: date
    reference: ShortText = Field(description="the court's finding or order")
    free_to_leave_on: date | None = Field(default=None,
                                          description="stayed_after_free_to_leave")
    left_on: date | None = Field(default=None, description="left_and_returned")
    returned_on: date | None = Field(default=None, description="left_and_returned")
    committed_on: date | None = Field(default=None, description="offence_after_extradition")
    charge_ids: list[ChargeId] = Field(default_factory=list, max_length=100,
                                       description="offence_after_extradition: the counts")


class ReextraditionRequestBody(RequestBody):
    """A third state asked the US for the person."""

    requesting_state: ShortText
    requested_on: date
    reference: ShortText | None = None


class ReextraditionConsentBody(RequestBody):
    """Mexico's answer by diplomatic note on onward extradition to a third state."""

    requesting_state: ShortText
    granted: StrictBool
    decided_on: date
    diplomatic_note_reference: ShortText


class OnwardSurrenderBody(RequestBody):
    requesting_state: ShortText
    surrendered_on: date


class ProceedingsEndedBody(RequestBody):
    ended_on: date
    outcome: ShortText = Field(examples=["convicted", "acquitted", "dismissed"])


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


def _detention(body: DetentionBody, now: datetime, _policy: Policy) -> handling.Decision:
    detail = _detention_detail(body)
    return lambda s: domain.decide_detention(s, body.outcome, body.decided_on, detail, now)


def _superseding(body: SupersedingIndictmentBody, now: datetime,
                 _policy: Policy) -> handling.Decision:
    counts, facts_of = _counts(body), _facts_of(body)
    return lambda s: domain.file_superseding_indictment(s, body.filed_on, counts, now, facts_of)


def _specialty_exception(body: SpecialtyExceptionBody, now: datetime,
                         policy: Policy) -> handling.Decision:
    facts = domain.ExceptionFacts(
        free_to_leave_on=body.free_to_leave_on, left_on=body.left_on,
        returned_on=body.returned_on, committed_on=body.committed_on,
        charge_ids=tuple(body.charge_ids))
    return lambda s: domain.record_specialty_exception(
        s, body.exception, facts, body.found_on, body.reference, now)


# A row's decision takes the body, the clock's now and the court's policy, and answers the
# decision on the case: a body the case cannot judge (conditions without a release, a count
# twice) is refused with a 422 before the case is loaded.
Prepare = Callable[[Any, datetime, Policy], handling.Decision]


def _fields(decide: Callable[..., list[NewEvent]], *fields: str,
            policy: bool = False) -> Prepare:
    """The decision `decide(case, <the body's fields, in order>, now[, policy])`: most steps
    hand the domain their body's fields as they are."""
    def prepare(body: Any, now: datetime, court_policy: Policy) -> handling.Decision:
        args = [getattr(body, field) for field in fields]
        tail = (now, court_policy) if policy else (now,)
        return lambda case: decide(case, *args, *tail)
    return prepare


def _step(path: str, command: type[RequestBody], operation: str, summary: str, prepare: Prepare,
          *, status_code: int = 200) -> Step:
    return Step(f"/{{case_id}}/{path}", command, operation, summary, prepare,
                responses.CaseView, ids=(("case_id", CaseId),), status_code=status_code)


# Every clerk step, in the order the OpenAPI document lists them.
STEPS: tuple[Step, ...] = (
    _step("docket", DocketBody, "docket", "Record the case's docket number",
          _fields(domain.assign_docket, "docket_number")),
    _step("initial-appearance", InitialAppearanceBody, "initial_appearance",
          "Record the initial appearance (Rule 5); late ones are flagged",
          _fields(domain.hold_initial_appearance, "held_at", "magistrate", policy=True)),
    _step("detention-hearing", DetentionBody, "detention",
          "Record detention ordered, or release on conditions", _detention),
    _step("arraignment", ArraignmentBody, "arraignment",
          "Record an arraignment and plea (granted or consented charges only)",
          _fields(domain.arraign, "arraigned_on", "plea", "charge_ids")),
    _step("proceedings-ended", ProceedingsEndedBody, "proceedings_ended",
          "Record the end of the proceedings "
          "(a temporary surrender then falls due for return to Mexico)",
          _fields(domain.end_proceedings, "ended_on", "outcome", policy=True)),
    _step("superseding-indictment", SupersedingIndictmentBody, "superseding",
          "Record a superseding indictment; counts outside the grant are "
          "blocked until Mexico consents", _superseding, status_code=201),
    _step("specialty-consent-requests", ConsentRequestBody, "consent_request",
          "Record that Mexico's consent was requested (rule of specialty)",
          _fields(domain.request_consent, "charge_ids", "requested_on",
                  "diplomatic_note_reference"), status_code=201),
    _step("specialty-consent", ConsentBody, "consent",
          "Record Mexico's consent (or refusal) for charges outside the grant",
          _fields(domain.decide_consent, "granted", "charge_ids", "decided_on",
                  "diplomatic_note_reference")),
    _step("specialty-exceptions", SpecialtyExceptionBody, "specialty_exception",
          "Record an exception of treaty art. 17 that lifts the specialty bar",
          _specialty_exception, status_code=201),
    _step("reextradition-requests", ReextraditionRequestBody, "reextradition_request",
          "Record a third state's request for the person",
          _fields(domain.request_reextradition, "requesting_state", "requested_on",
                  "reference"), status_code=201),
    _step("reextradition-consent", ReextraditionConsentBody, "reextradition_consent",
          "Record Mexico's consent (or refusal) to onward extradition",
          _fields(domain.decide_reextradition_consent, "requesting_state", "granted",
                  "decided_on", "diplomatic_note_reference")),
    _step("onward-surrender", OnwardSurrenderBody, "onward_surrender",
          "Record surrender to a third state (refused without Mexico's "
          "consent unless specialty no longer binds)",
          _fields(domain.surrender_onward, "requesting_state", "surrendered_on")),
)


async def run_step(rt: ServiceRuntime, case_id: str, body: RequestBody, context: EventContext,
                   step: Step) -> Result:
    """One clerk step: one transaction that loads the case, decides, appends and projects;
    the answer is the case's view as of now."""
    decide = step.decide(body, rt.clock.now(), settings_of(rt).policy())
    async with rt.command() as conn:
        state = await handling.run(rt, conn, case_id, decide, context)
        view = await read_model.named(conn, case_view(state))
    return _as_of_now(view, rt)


def _as_of_now(view: Result, rt: ServiceRuntime) -> Result:
    """A stored view as of the request: whether the initial appearance is overdue now."""
    return as_of(view, rt.clock.now(), settings_of(rt).initial_appearance_limit_hours)


def routes(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(prefix="/cases", tags=["cases"])

    register(router, STEPS, run_step)

    add_show(router, summary="An intake record: district, docket, appearance, charges "
             "(prosecutable or blocked), specialty, return obligation",
             response_model=responses.CaseView, load=read_model.get_case,
             missing="intake record", present=_as_of_now, case_id=CaseId)

    @router.get("", summary="Intake records by district, status, overdue initial appearance",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        district: Annotated[str | None, Query(
            pattern=DISTRICT, description="a US district's abbreviation, e.g. EDNY")] = None,
        status: Annotated[responses.CourtStatus | None, Query()] = None,
        overdue_appearance: bool | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(
                conn, district=district, status_=status, overdue_appearance=overdue_appearance,
                now=rt.clock.now(), limit_hours=settings_of(rt).initial_appearance_limit_hours,
                limit=limit, offset=offset)
        return {"cases": found, "count": len(found)}

    return [router]
