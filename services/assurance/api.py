"""The assurance officers' HTTP API: requests, assurances, Mexico's decisions, DOJ commitments,
and the case's clearance as everyone reads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.errors import NotFound
from shared.eventstore import EventContext
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.params import Offset

from . import domain, handling, read_model, responses
from .events import Scope
from .settings import AssuranceSettings
from .view import case_view

ChargeId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
CaseId = Annotated[str, Path(min_length=1, max_length=200)]
AssuranceId = Annotated[str, Path(min_length=1, max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssuranceRequestBody(Body):
    """Mexico (or the OIA on its behalf) asked the US for assurances on these charges."""

    charge_ids: list[ChargeId] = Field(min_length=1, max_length=100)
    requested_on: date
    note: str | None = Field(default=None, max_length=2000)


class AssuranceBody(Body):
    """A US assurance received by diplomatic note."""

    assurance_id: str = Field(min_length=1, max_length=100,
                              pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    scope: list[Scope] = Field(min_length=1, max_length=3,
                               description="not_sought | not_imposed | not_carried_out")
    diplomatic_note_reference: Text
    issuing_authority: Text
    issued_on: date
    charge_ids: list[ChargeId] = Field(min_length=1, max_length=100,
                                       description="the capital charges it covers")


class DecisionBody(Body):
    """Mexico's evaluation of an assurance."""

    accepted: StrictBool
    decided_on: date
    reason: Reason


class WithdrawalBody(Body):
    """The US withdrew the assurance, or Mexico revoked its acceptance."""

    withdrawn_on: date
    reason: Reason


class DojCommitmentBody(Body):
    """National-security basis: a written commitment not to seek death, with its scope as
    data. It clears only the counts it covers, of the prosecution it binds, and nothing if it
    seeks death."""

    reference: Text
    committed_on: date = Field(description="the commitment's legal date")
    authority: Text
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


def routes(runtime: ServiceRuntime, settings: AssuranceSettings) -> Sequence[APIRouter]:
    policy = settings.policy()
    router = APIRouter(prefix="/cases", tags=["cases"])

    async def command(rt: ServiceRuntime, case_id: str, decide: handling.Decision,
                      context: EventContext) -> dict[str, Any]:
        async with rt.command() as conn:
            state = await handling.run(rt, conn, case_id, decide, context)
        return case_view(state)

    @router.post("/{case_id}/assurance-requests", status_code=201,
                 summary="Record that assurances were requested for capital charges",
                 response_model=responses.CaseView)
    async def request_assurance(case_id: CaseId, body: AssuranceRequestBody, rt: Runtime,
                                context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.request_assurance(
            s, body.charge_ids, body.requested_on, body.note, now), context)

    @router.post("/{case_id}/assurances", status_code=201,
                 summary="Record an assurance received from the US",
                 response_model=responses.CaseView)
    async def receive_assurance(case_id: CaseId, body: AssuranceBody, rt: Runtime,
                                context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        received = domain.ReceivedAssurance(
            assurance_id=body.assurance_id, scope=tuple(body.scope),
            diplomatic_note_reference=body.diplomatic_note_reference,
            issuing_authority=body.issuing_authority, issued_on=body.issued_on,
            charge_ids=tuple(body.charge_ids))
        return await command(rt, case_id, lambda s: domain.receive_assurance(
            s, received, policy, now), context)

    @router.post("/{case_id}/assurances/{assurance_id}/decision",
                 summary="Record Mexico's acceptance or rejection of an assurance",
                 response_model=responses.CaseView)
    async def decide(case_id: CaseId, assurance_id: AssuranceId, body: DecisionBody,
                     rt: Runtime, context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.decide_assurance(
            s, assurance_id, body.accepted, body.decided_on, body.reason, policy, now),
            context)

    @router.post("/{case_id}/assurances/{assurance_id}/withdrawal",
                 summary="Record that an assurance was withdrawn or its acceptance revoked",
                 response_model=responses.CaseView)
    async def withdraw(case_id: CaseId, assurance_id: AssuranceId, body: WithdrawalBody,
                       rt: Runtime, context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.withdraw_assurance(
            s, assurance_id, body.withdrawn_on, body.reason, now), context)

    @router.post("/{case_id}/doj-commitment", status_code=201,
                 summary="Record the DOJ's commitment not to seek death (national security)",
                 response_model=responses.CaseView)
    async def doj_commitment(case_id: CaseId, body: DojCommitmentBody, rt: Runtime,
                             context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.record_doj_commitment(
            s, body.reference, body.committed_on, body.authority, body.scope, now,
            charge_ids=body.charge_ids, prosecuting_authority=body.prosecuting_authority,
            seeks_death=body.seeks_death), context)

    @router.post("/{case_id}/clearance/evaluation",
                 summary="Re-evaluate clearance; 409 capital_charge_uncovered names the gaps",
                 response_model=responses.CaseView)
    async def evaluate(case_id: CaseId, rt: Runtime, context: Context) -> dict[str, Any]:
        now = rt.clock.now()
        return await command(rt, case_id, lambda s: domain.evaluate(s, now), context)

    @router.get("/{case_id}", summary="A case: capital charges, coverage, clearance",
                response_model=responses.CaseView)
    async def show(case_id: CaseId, rt: Runtime) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.get_case(conn, case_id)
        if found is None:
            raise NotFound("case", case_id)
        return found

    @router.get("", summary="Cases, filtered by clearance or flagged transfer",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        cleared: bool | None = None,
        transfer_flagged: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(conn, cleared=cleared,
                                                transfer_flagged=transfer_flagged,
                                                limit=limit, offset=offset)
        return {"cases": found, "count": len(found)}

    return [router]
