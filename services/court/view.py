"""The case as clerks, the operator and other services read it (GET /cases/{case_id}).

`case_view` depends only on the events and is stored by the read model; `as_of` adds what
depends on the service clock and configuration (is the initial appearance overdue now?).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.clock import iso_day, iso_instant, parse_iso_utc

from . import rules as R  # noqa: N812 (the rule book: R.X)
from . import specialty
from .state import Charge, CourtCase


def status(state: CourtCase) -> str:
    """Where the case stands in the US court (the first that applies, top to bottom)."""
    if state.ended is not None:
        return "proceedings_ended"
    if state.arraignments:
        return "arraigned"
    if state.detention is not None:
        return "detention_decided"
    if state.appearance is not None:
        return "initial_appearance_held"
    if state.intake is not None:
        return "intake_opened"
    return "awaiting_arrival"


def _charge(state: CourtCase, charge: Charge) -> dict[str, Any]:
    consent = state.consents.get(charge.charge_id)
    prosecutable = specialty.prosecutable(state, charge.charge_id)
    return {
        "charge_id": charge.charge_id, "statute": charge.statute,
        "description": charge.description, "origin": charge.origin.value,
        "in_request": charge.in_request, "indictment": charge.indictment,
        "granted": charge.charge_id in specialty.granted_charge_ids(state),
        "status": specialty.charge_status(state, charge.charge_id),
        "prosecutable": prosecutable, "blocked": not prosecutable,
        # The rules the arraignment gate holds this count back with: an arraignment on it is
        # refused under the first of them (the same gate decides both).
        "blocked_by": R.blocked_by(state, charge.charge_id),
        "facts_of": charge.facts_of,
        "flagged": charge.charge_id in state.flagged,
        "arraigned": charge.charge_id in state.arraigned_charge_ids,
        "consent": None if consent is None else {
            "status": consent.status, "requested_on": iso_day(consent.requested_on),
            "decided_on": iso_day(consent.decided_on),
            "diplomatic_note_reference": consent.diplomatic_note_reference},
    }


def _appearance(state: CourtCase) -> dict[str, Any]:
    held = state.appearance
    landed_at = state.intake.landed_at if state.intake else None
    return {
        "status": "held" if held else "pending", "landed_at": iso_instant(landed_at),
        "held_at": iso_instant(held.held_at) if held else None,
        "magistrate": held.magistrate if held else None,
        "hours_elapsed": held.hours_elapsed if held else None,
        "limit_hours": held.limit_hours if held else None,
        "late": held.late if held else None,
    }


def _specialty(state: CourtCase) -> dict[str, Any]:
    intake = state.intake
    return {
        "applies": specialty.applies(state),
        "unavailable_under": None if specialty.applies(state)
        else R.SPECIALTY_DEFENCE_UNAVAILABLE.id,
        "defence_available": intake.specialty_defence_available if intake else None,
        "note": intake.specialty_note if intake else None,
        "granted_charge_ids": list(specialty.granted_charge_ids(state)),
        "terms_source": intake.terms_source if intake else None,
        "blocked_charge_ids": list(specialty.blocked_charge_ids(state)),
        "awaiting_consent_charge_ids": [c for c in state.charges
                                        if specialty.awaiting_consent(state, c)],
        "exceptions": [{
            "exception": found.exception.value, "rule": R.EXCEPTIONS[found.exception].id,
            "found_on": iso_day(found.found_on), "charge_ids": list(found.charge_ids),
            "lapsed_charge_ids": list(found.lapsed_charge_ids)}
            for found in state.exceptions],
    }


def _reextraditions(state: CourtCase) -> list[dict[str, Any]]:
    """Third states' requests for the person, Mexico's answers, and what holds each back."""
    return [{
        "requesting_state": name, "requested_on": iso_day(request.requested_on),
        "consent": request.consent, "decided_on": iso_day(request.decided_on),
        "diplomatic_note_reference": request.diplomatic_note_reference,
        "surrendered_on": iso_day(request.surrendered_on),
        "blocked_by": [] if request.surrendered_on else R.onward_blocked_by(state, name),
    } for name, request in state.reextraditions.items()]


def _return(state: CourtCase) -> dict[str, Any]:
    intake = state.intake
    due = state.return_due
    return {
        "obligation": bool(intake and intake.return_obligation),
        "surrender_kind": intake.surrender_kind if intake else None,
        "conditions": intake.return_conditions if intake else None,
        "due": due is not None, "due_on": iso_day(due.due_on) if due else None,
    }


def case_view(state: CourtCase) -> dict[str, Any]:
    intake = state.intake
    detention = state.detention
    return {
        "case_id": state.case_id, "version": state.seq, "status": status(state),
        "district": intake.district if intake else state.requesting_district,
        "legal_basis": state.legal_basis, "person_id": state.person_id,
        "intake": None if intake is None else {
            "landed_at": iso_instant(intake.landed_at), "airport": intake.airport,
            # Empty: a diverted landing, whose airport's district the court is not told.
            "flight_id": intake.flight_id, "landing_district": intake.landing_district or None,
            "landed_in_charging_district": intake.landed_in_charging_district},
        "docket_number": state.docket_number,
        "initial_appearance": _appearance(state),
        "detention": None if detention is None else {
            "outcome": detention.outcome, "decided_on": iso_day(detention.decided_on),
            "detail": detention.detail},
        "arraignments": [{"arraigned_on": iso_day(a.arraigned_on), "plea": a.plea.value,
                          "charge_ids": list(a.charge_ids)} for a in state.arraignments],
        "charges": [_charge(state, c) for c in state.charges.values()],
        "specialty": _specialty(state),
        "superseding_indictments": [{
            "indictment_number": i.number, "filed_on": iso_day(i.filed_on),
            "charge_ids": list(i.charge_ids), "added_charge_ids": list(i.added_charge_ids),
            "specialty_block_applies": i.specialty_block_applies} for i in state.indictments],
        "return_to_mexico": _return(state),
        "reextraditions": _reextraditions(state),
        "proceedings": {"ended": state.ended is not None,
                        "ended_on": iso_day(state.ended.ended_on) if state.ended else None,
                        "outcome": state.ended.outcome if state.ended else None},
    }


def as_of(view: dict[str, Any], now: datetime, limit_hours: float) -> dict[str, Any]:
    """The stored view with the initial appearance's deadline and overdue flag as of now."""
    appearance = dict(view["initial_appearance"])
    landed_at = appearance.get("landed_at")
    due_by = None if landed_at is None else \
        parse_iso_utc(landed_at) + timedelta(hours=limit_hours)
    appearance["due_by"] = iso_instant(due_by)
    appearance["overdue"] = bool(due_by and appearance["status"] == "pending"
                                 and not view["proceedings"]["ended"] and now > due_by)
    return {**view, "initial_appearance": appearance}
