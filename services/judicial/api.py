"""Judicial's HTTP API: clerks record each step of Mexico's phase; anyone reads the cases.

Every step is `POST /cases/{case_id}/<step>` with the step's body (see commands.py): one
transaction that loads the case, decides (domain.py), appends and projects. A step the case's
state forbids is a 409 naming the rule; an unknown case a 404; a bad body a 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.errors import NotFound
from shared.eventstore import EventContext
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.params import CaseIdPath, Offset

from . import commands as cmd
from . import domain, read_model, responses
from .persistence import case_repository, record
from .settings import settings_of
from .state import Status


async def run_command(runtime: ServiceRuntime, case_id: str, command: cmd.ClerkCommand,
                      context: EventContext) -> dict[str, Any]:
    policy = settings_of(runtime).policy()
    async with runtime.command() as conn:
        loaded = await case_repository(runtime).load_existing(conn, case_id)
        events = domain.decide(loaded.state, command, runtime.clock.now(), policy)
        state, recorded = await record(runtime, conn, loaded, events, context)
    return {"case_id": case_id, "version": state.version, "status": state.status.value,
            "events": [{"event_type": e.event_type, "version": e.version} for e in recorded]}


Result = dict[str, Any]


def _step_routes(router: APIRouter) -> None:
    @router.post("/{case_id}/provisional-detention", summary="Provisional detention ordered",
                 response_model=responses.StepResult)
    async def provisional_detention(case_id: CaseIdPath, body: cmd.OrderProvisionalDetention,
                                    rt: Runtime, context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/formal-request", summary="Formal request received by the SRE",
                 response_model=responses.StepResult)
    async def formal_request(case_id: CaseIdPath, body: cmd.ReceiveFormalRequest, rt: Runtime,
                             context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/hearing", summary="Hearing held: objection and evidence periods",
                 response_model=responses.StepResult)
    async def hearing(case_id: CaseIdPath, body: cmd.HoldHearing, rt: Runtime,
                      context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/evidence-extension", summary="Evidence period extended",
                 response_model=responses.StepResult)
    async def evidence_extension(case_id: CaseIdPath, body: cmd.ExtendEvidencePeriod, rt: Runtime,
                                 context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/objections", summary="Objections filed",
                 response_model=responses.StepResult)
    async def objections(case_id: CaseIdPath, body: cmd.FileObjections, rt: Runtime,
                         context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/consent", summary="The person consents to extradition",
                 response_model=responses.StepResult)
    async def consent(case_id: CaseIdPath, body: cmd.GiveConsent, rt: Runtime,
                      context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/judge-opinion", summary="The judge's opinion issued",
                 response_model=responses.StepResult)
    async def judge_opinion(case_id: CaseIdPath, body: cmd.IssueOpinion, rt: Runtime,
                            context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/sre-decision", summary="The SRE grants or refuses extradition",
                 response_model=responses.StepResult)
    async def sre_decision(case_id: CaseIdPath, body: cmd.DecideExtradition, rt: Runtime,
                           context: Context) -> Result:
        return await run_command(rt, case_id, body, context)


def _amparo_and_surrender_routes(router: APIRouter) -> None:
    @router.post("/{case_id}/amparo", summary="Amparo suit filed",
                 response_model=responses.StepResult)
    async def amparo(case_id: CaseIdPath, body: cmd.FileAmparo, rt: Runtime,
                     context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/amparo-suspension", summary="Suspension granted in an amparo",
                 response_model=responses.StepResult)
    async def amparo_suspension(case_id: CaseIdPath, body: cmd.GrantAmparoSuspension, rt: Runtime,
                                context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/amparo-ruling", summary="Amparo denied or granted",
                 response_model=responses.StepResult)
    async def amparo_ruling(case_id: CaseIdPath, body: cmd.RuleOnAmparo, rt: Runtime,
                            context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/surrender-order", summary="Surrender ordered (full, deferred, "
                                                       "temporary)",
                 response_model=responses.StepResult)
    async def surrender_order(case_id: CaseIdPath, body: cmd.OrderSurrender, rt: Runtime,
                              context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/temporary-surrender", summary="Temporary surrender agreed",
                 response_model=responses.StepResult)
    async def temporary_surrender(case_id: CaseIdPath, body: cmd.AgreeTemporarySurrender,
                                  rt: Runtime, context: Context) -> Result:
        return await run_command(rt, case_id, body, context)

    @router.post("/{case_id}/national-security-transfer",
                 summary="Transfer authorized under the National Security Law",
                 response_model=responses.StepResult)
    async def national_security_transfer(case_id: CaseIdPath,
                                         body: cmd.AuthorizeNationalSecurityTransfer,
                                         rt: Runtime, context: Context) -> Result:
        return await run_command(rt, case_id, body, context)


def _read_routes(router: APIRouter) -> None:
    @router.get("/{case_id}", summary="Where the case stands in Mexico's phase",
                response_model=responses.CaseView)
    async def show(case_id: CaseIdPath, rt: Runtime) -> Result:
        async with rt.database.connect() as conn:
            found = await read_model.get_case(conn, case_id)
        if found is None:
            raise NotFound("judicial case", case_id)
        return found

    @router.get("", summary="Judicial cases, optionally by status",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        status: Annotated[Status | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> Result:
        async with rt.database.connect() as conn:
            found = await read_model.list_cases(
                conn, status=None if status is None else status.value, limit=limit,
                offset=offset)
        return {"cases": found, "count": len(found)}


def routes(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(prefix="/cases", tags=["judicial cases"])
    _read_routes(router)
    _step_routes(router)
    _amparo_and_surrender_routes(router)
    return [router]
