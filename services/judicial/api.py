"""Judicial's HTTP API: clerks record each step of Mexico's phase; anyone reads the cases.

Every step is `POST /cases/{case_id}/<step>` with the step's body (see commands.py): one
transaction that loads the case, decides (domain.py), appends and projects. A step the case's
state forbids is a 409 naming the rule; an unknown case a 404; a bad body a 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.eventstore import EventContext
from shared.legaltime import legal_date
from shared.service import ServiceRuntime
from shared.web.lists import add_list_by_status
from shared.web.reads import Load, add_show
from shared.web.steps import Step, register

from . import commands as cmd
from . import domain, read_model, responses
from .persistence import case_repository, execute
from .settings import settings_of
from .state import Status
from .view import case_view

PREFIX = "/cases"
Result = dict[str, Any]


def _step(path: str, command: type[cmd.Command], operation: str, summary: str,
          decide: domain.Decision) -> Step:
    return Step(f"/{{case_id}}/{path}", command, operation, summary, decide,
                responses.StepResult)


# Every clerk step, in the order the OpenAPI document lists them.
STEPS: tuple[Step, ...] = (
    _step("provisional-detention", cmd.OrderProvisionalDetention, "provisional_detention",
          "Provisional detention ordered", domain.order_provisional_detention),
    _step("formal-request", cmd.ReceiveFormalRequest, "formal_request",
          "Formal request received by the SRE", domain.receive_formal_request),
    _step("hearing", cmd.HoldHearing, "hearing",
          "Hearing held: objection and evidence periods", domain.hold_hearing),
    _step("evidence-extension", cmd.ExtendEvidencePeriod, "evidence_extension",
          "Evidence period extended", domain.extend_evidence_period),
    _step("objections", cmd.FileObjections, "objections", "Objections filed",
          domain.file_objections),
    _step("consent", cmd.GiveConsent, "consent", "The person consents to extradition",
          domain.give_consent),
    _step("judge-opinion", cmd.IssueOpinion, "judge_opinion", "The judge's opinion issued",
          domain.issue_opinion),
    _step("sre-decision", cmd.DecideExtradition, "sre_decision",
          "The SRE grants or refuses extradition", domain.decide_extradition),
    _step("amparo", cmd.FileAmparo, "amparo", "Amparo suit filed", domain.file_amparo),
    _step("amparo-suspension", cmd.GrantAmparoSuspension, "amparo_suspension",
          "Suspension granted in an amparo", domain.grant_amparo_suspension),
    _step("amparo-ruling", cmd.RuleOnAmparo, "amparo_ruling", "Amparo denied or granted",
          domain.rule_on_amparo),
    _step("amparo-appeal", cmd.FileAmparoAppeal, "amparo_appeal",
          "Amparo ruling appealed (recurso de revisión)", domain.file_amparo_appeal),
    _step("amparo-appeal-ruling", cmd.DecideAmparoAppeal, "amparo_appeal_ruling",
          "Amparo appeal decided: the amparo denied or granted for good",
          domain.decide_amparo_appeal),
    _step("surrender-order", cmd.OrderSurrender, "surrender_order",
          "Surrender ordered (full, deferred, temporary)", domain.order_surrender),
    _step("placement-at-disposal", cmd.RecordPlacementAtDisposal, "placement_at_disposal",
          "The person placed at the US's disposal after the order (the pickup window's start)",
          domain.record_placement_at_disposal),
    _step("temporary-surrender", cmd.AgreeTemporarySurrender, "temporary_surrender",
          "Temporary surrender agreed", domain.agree_temporary_surrender),
    _step("national-security-transfer", cmd.AuthorizeNationalSecurityTransfer,
          "national_security_transfer", "Transfer authorized under the National Security Law",
          domain.authorize_transfer),
    _step("basis-change", cmd.ChangeBasis, "basis_change",
          "The case is overtaken by a national-security transfer", domain.change_basis),
)


async def run_step(runtime: ServiceRuntime, case_id: str, command: cmd.Command,
                   context: EventContext, step: Step) -> Result:
    """One clerk step: one transaction that loads the case, decides, appends and projects."""
    policy = settings_of(runtime).policy()
    now = runtime.clock.now()
    decision = domain.lapse_first(step.decide)  # as domain.decide decides every step
    async with runtime.command() as conn:
        state, recorded = await execute(
            runtime, conn, case_id, lambda current: decision(current, command, now, policy),
            context)
    return {"case_id": case_id, "version": state.version, "status": state.status.value,
            "events": [{"event_type": e.event_type, "version": e.version} for e in recorded]}


def _shown_today(runtime: ServiceRuntime) -> Load:
    """The case as it stands on today's legal date. The stored row says that it exists and
    when it last changed; its view is judged again today, since the days alone move it (a
    ruling becomes final, a duty overdue) while nothing is recorded."""
    async def load(conn: AsyncConnection, case_id: str) -> Result | None:
        updated_at = await read_model.last_changed(conn, case_id)
        if updated_at is None:
            return None
        loaded = await case_repository(runtime).load(conn, case_id)
        today = legal_date(runtime.clock.now())
        return {**case_view(loaded.state, today), "updated_at": updated_at}
    return load


def _read_routes(router: APIRouter, runtime: ServiceRuntime) -> None:
    add_show(router, summary="Where the case stands in Mexico's phase",
             response_model=responses.CaseView, load=_shown_today(runtime),
             missing="judicial case")

    add_list_by_status(router, "", name="list_cases",
                       summary="Judicial cases, optionally by status",
                       response_model=responses.CaseList, statuses=Status, key="cases",
                       load=read_model.list_cases)


def routes(runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(prefix=PREFIX, tags=["judicial cases"])
    _read_routes(router, runtime)
    register(router, STEPS, run_step)
    return [router]
