"""The case as GET /cases/{case_id} shows it: status, running clocks with their due dates,
active suspensions, what still blocks surrender, and every recorded step."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.clock import iso_day

from . import rules
from .state import Amparo, Clock, State


def _clock(clock: Clock) -> dict[str, Any]:
    return {"kind": clock.kind.value, "started_on": clock.started_on.isoformat(),
            "due_on": clock.due_on.isoformat(), "days": clock.days,
            "day_counting": clock.day_counting, "enforced": True}


def _hearing_periods(state: State, day: date | None) -> list[dict[str, Any]]:
    """The objections and evidence periods: shown while the steps they lead to are not over
    (no opinion, no SRE decision standing: rules.steps_before_sre_over, as the domain's
    refusals) and the judicial path runs (not once the case is on the national-security
    basis, which has no judge, or the person is handed over: rules.judicial_path_stopped, as
    for the duties), but not enforced by the scheduler (the judge rules on late filings)."""
    if state.hearing_on is None or day is None or rules.steps_before_sre_over(state, day) \
            or rules.judicial_path_stopped(state):
        return []
    return [{"kind": kind, "started_on": state.hearing_on.isoformat(), "due_on": iso_day(due),
             "day_counting": "calendar", "enforced": False}
            for kind, due in (("objections_period", state.objections_due_on),
                              ("evidence_period", state.evidence_due_on))]


def _duties(state: State, day: date | None) -> list[dict[str, Any]]:
    """The judge's opinion (5 days after the evidence period, or 3 after consent if that ends
    sooner) and the SRE's decision (20 days after the opinion): duties, not bars
    (rules.JUDGE_OPINION_OVERDUE, rules.SRE_DECISION_OVERDUE); shown with `overdue` once
    passed."""
    duties = []
    for kind, rule, start, days in rules.duties(state):
        due = start + timedelta(days=days)
        duties.append({"kind": kind, "started_on": start.isoformat(), "due_on": due.isoformat(),
                       "days": days, "day_counting": "calendar", "enforced": False,
                       "overdue": day is not None and rule.blocking(rules.OnDay(state, day))})
    return duties


def surrender_blocked_by(state: State, today: date | None = None) -> list[str]:
    """The rules a surrender order dated `today` would be refused with (empty when none
    would): the domain's own gate, on the same day (rules.SURRENDER)."""
    day = today or state.last_act_on
    if day is None:  # nothing recorded: the case is not open
        return [rules.CASE_NOT_OPENED.id]
    return rules.SURRENDER.failing_ids(rules.OnDay(state, day))


def _amparo(amparo: Amparo, day: date | None) -> dict[str, Any]:
    return {"amparo_id": amparo.amparo_id, "filed_on": amparo.filed_on.isoformat(),
            "suspension_active": amparo.suspension_in_force_on(day), "outcome": amparo.outcome,
            "ruled_on": iso_day(amparo.ruled_on),
            "appeal_period_closes_on": iso_day(amparo.appeal_closes_on),
            "appeal_filed_on": iso_day(amparo.appeal_filed_on),
            "appeal_outcome": amparo.appeal_outcome,
            "final": day is not None and amparo.final_on(day)}


def case_view(state: State, today: date | None = None) -> dict[str, Any]:
    """The case as shown on `today` (the read model passes the day it projects on; without
    one, the day of the latest recorded act)."""
    day = today or state.last_act_on
    sre, surrender, released = state.sre, state.surrender, state.released
    return {
        "case_id": state.case_id,
        "legal_basis": None if state.legal_basis is None else state.legal_basis.value,
        "status": state.status.value,
        "version": state.version,
        "requesting_district": state.requesting_district,
        "provisional_arrest_date": iso_day(state.provisional_arrest_date),
        "charge_ids": list(state.charge_ids),
        "granted_charge_ids": None if state.granted_charge_ids is None
        else list(state.granted_charge_ids),
        "clocks": ([_clock(c) for c in state.running_clocks()] + _hearing_periods(state, day)
                   + _duties(state, day)),
        "active_suspensions": list(state.suspensions_in_force_on(day)),
        "surrender_blocked_by": surrender_blocked_by(state, today),
        "amparos": [_amparo(a, day) for a in state.amparos],
        "formal_request_received_on": iso_day(state.formal_request_on),
        "hearing_held_on": iso_day(state.hearing_on),
        "consent_given_on": iso_day(state.consent_on),
        "judge_opinion": None if state.opinion_on is None else {
            "issued_on": state.opinion_on.isoformat(), "favorable": state.opinion_favorable},
        "sre_decision": None if sre is None else {
            "decision": "granted" if sre.granted else "refused",
            "decided_on": sre.decided_on.isoformat(), "notified_on": sre.notified_on.isoformat()},
        "surrender": None if surrender is None else {
            "kind": surrender.kind.value, "ordered_on": surrender.ordered_on.isoformat(),
            "placed_at_disposal_on": iso_day(surrender.placed_on),
            "pickup_deadline_on": iso_day(state.pickup.due_on if state.pickup else None),
            "pickup_paused_since": iso_day(state.pickup_paused_on),
            "return_conditions": surrender.return_conditions},
        "deferral": None if state.deferral is None else {
            "deferred_on": state.deferral[0].isoformat(), "reason": state.deferral[1]},
        "temporary_surrender_agreed_on": iso_day(state.temporary_agreed_on),
        "transfer_authorized_at": None if state.transfer_authorized_at is None
        else state.transfer_authorized_at.isoformat(),
        "handed_over_on": iso_day(state.handed_over_on),
        "provisional_detention_lapsed": state.provisional_lapsed,
        "released": None if released is None else {
            "released_on": released[0].isoformat(), "reason": released[1].value},
        "release_voided_on": iso_day(state.release_voided_on),
        "release_voided_cause": state.release_voided_cause,
        "steps": [{"version": s.version, "step": s.step, "on": s.on} for s in state.steps],
    }
