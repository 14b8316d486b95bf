"""The assurance officers' HTTP API: requests, assurances, Mexico's decisions, DOJ commitments,
and the case's clearance as everyone reads it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field, StrictBool, StringConstraints

from shared.eventstore import EventContext
from shared.service import ServiceRuntime
from shared.web.app import Runtime
from shared.web.params import Limit, Offset
from shared.web.reads import add_show
from shared.web.requests import ChargeId, RequestBody, ShortText
from shared.web.steps import Step, register_by_path

from . import domain, handling, read_model, responses
from .domain import Policy
from .events import DiplomaticNote, Scope
from .settings import AssuranceSettings
from .view import case_view

Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
CaseId = Annotated[str, Path(min_length=1, max_length=200)]
AssuranceId = Annotated[str, Path(min_length=1, max_length=100)]


class AssuranceRequestBody(RequestBody):
    """Mexico (or the OIA on its behalf) asked the US for assurances on these charges."""

    charge_ids: list[ChargeId] = Field(min_length=1, max_length=100)
    requested_on: date
    note: str | None = Field(default=None, max_length=2000)


class AssuranceBody(RequestBody):
    """A US assurance received by diplomatic note."""

    assurance_id: str = Field(min_length=1, max_length=100,
                              pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    scope: list[Scope] = Field(min_length=1, max_length=3,
                               description="not_sought | not_imposed | not_carried_out")
    diplomatic_note_reference: ShortText
    issuing_authority: ShortText
    issued_on: date
    charge_ids: list[ChargeId] = Field(min_length=1, max_length=100,
                                       description="the capital charges it covers")


class DecisionBody(RequestBody):
    """Mexico's evaluation of an assurance."""

    accepted: StrictBool
    decided_on: date
    reason: Reason


class WithdrawalBody(RequestBody):
    """The US withdrew the assurance, or Mexico revoked its acceptance."""

    withdrawn_on: date
    reason: Reason


class DojCommitmentBody(RequestBody):
    """National-security basis: a written commitment not to seek death, with its scope as
    data. It clears only the counts it covers, of the prosecution it binds, and nothing if it
    seeks death."""

    reference: ShortText
    committed_on: date = Field(description="the commitment's legal date")
    authority: ShortText
    scope: Reason = Field(description="the commitment's words")
    charge_ids: list[ChargeId] | None = Field(
        default=None, min_length=1, max_length=100,
        description="the counts it covers; omitted: every count of the case")
    prosecuting_authority: Annotated[str, StringConstraints(
        min_length=1, max_length=100, pattern=r"^(federal|[A-Z][A-Za-z .'-]*)$")] = Field(
        default="federal", description="federal (the DOJ), or the US state whose own "
                                       "prosecution it binds, e.g. California")
    seeks_death: StrictBool = Field(default=False, description="the prosecution says it will "
                                                               "seek death: it clears nothing")


Ids = dict[str, str]   # the path's parameters by name: case_id, and assurance_id if it names one


def _receive(body: AssuranceBody, now: datetime, policy: Policy,
             _ids: Ids) -> handling.Decision:
    received = domain.ReceivedAssurance(
        assurance_id=body.assurance_id, scope=tuple(body.scope),
        diplomatic_note=DiplomaticNote(
            reference=body.diplomatic_note_reference,
            issuing_authority=body.issuing_authority, issued_on=body.issued_on),
        charge_ids=tuple(body.charge_ids))
    return lambda s: domain.receive_assurance(s, received, policy, now)


# A row's decision takes the body, the clock's now, the policy and the path's ids, and
# answers the decision on the case.
Prepare = Callable[[Any, datetime, Policy, Ids], handling.Decision]
CASE = ("case_id", CaseId)
ASSURANCE = (CASE, ("assurance_id", AssuranceId))


def _step(path: str, command: type[RequestBody], operation: str, summary: str, prepare: Prepare,
          *, ids: tuple[tuple[str, Any], ...] = (CASE,), status_code: int = 200,
          takes_body: bool = True) -> Step:
    return Step(f"/{{case_id}}/{path}", command, operation, summary, prepare,
                responses.CaseView, ids=ids, status_code=status_code, takes_body=takes_body)


# Every officer's step, in the order the OpenAPI document lists them.
STEPS: tuple[Step, ...] = (
    _step("assurance-requests", AssuranceRequestBody, "request_assurance",
          "Record that assurances were requested for capital charges",
          lambda b, now, _p, _i: lambda s: domain.request_assurance(
              s, b.charge_ids, b.requested_on, b.note, now), status_code=201),
    _step("assurances", AssuranceBody, "receive_assurance",
          "Record an assurance received from the US", _receive, status_code=201),
    _step("assurances/{assurance_id}/decision", DecisionBody, "decide",
          "Record Mexico's acceptance or rejection of an assurance",
          lambda b, now, policy, ids: lambda s: domain.decide_assurance(
              s, ids["assurance_id"], b.accepted, b.decided_on, b.reason, policy, now),
          ids=ASSURANCE),
    _step("assurances/{assurance_id}/withdrawal", WithdrawalBody, "withdraw",
          "Record that an assurance was withdrawn or its acceptance revoked",
          lambda b, now, _p, ids: lambda s: domain.withdraw_assurance(
              s, ids["assurance_id"], b.withdrawn_on, b.reason, now), ids=ASSURANCE),
    _step("doj-commitment", DojCommitmentBody, "doj_commitment",
          "Record the DOJ's commitment not to seek death (national security)",
          lambda b, now, _p, _i: lambda s: domain.record_doj_commitment(
              s, b.reference, b.committed_on, b.authority, b.scope, now,
              charge_ids=b.charge_ids, prosecuting_authority=b.prosecuting_authority,
              seeks_death=b.seeks_death), status_code=201),
    _step("clearance/evaluation", RequestBody, "evaluate",
          "Re-evaluate clearance; a 409 names the rule holding it back and the gaps",
          lambda _b, now, _p, _i: lambda s: domain.evaluate(s, now), takes_body=False),
)


def routes(runtime: ServiceRuntime, settings: AssuranceSettings) -> Sequence[APIRouter]:
    policy = settings.policy()
    router = APIRouter(prefix="/cases", tags=["cases"])

    async def run_step(rt: ServiceRuntime, ids: Ids, body: RequestBody | None,
                       context: EventContext, step: Step) -> dict[str, Any]:
        """One step: one transaction that loads the case, decides, appends and projects."""
        decide = step.decide(body, rt.clock.now(), policy, ids)
        async with rt.command() as conn:
            state = await handling.run(rt, conn, ids["case_id"], decide, context)
        return case_view(state)

    register_by_path(router, STEPS, run_step)

    add_show(router, summary="A case: capital charges, coverage, clearance",
             response_model=responses.CaseView, load=read_model.get_case, missing="case",
             case_id=CaseId)

    @router.get("", summary="Cases, filtered by clearance or flagged transfer",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        cleared: bool | None = None,
        transfer_flagged: bool | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(conn, cleared=cleared,
                                                transfer_flagged=transfer_flagged,
                                                limit=limit, offset=offset)
        return {"cases": found, "count": len(found)}

    return [router]
