"""The case as officers, auditors and other services read it (GET /cases/{case_id})."""

from __future__ import annotations

from typing import Any

from shared.clock import iso_day, iso_instant

from . import coverage, rules
from .state import (
    Assurance,
    AssuranceCase,
    AssuranceRequest,
    CapitalCharge,
    DojCommitment,
    Transfer,
)


def _charge(state: AssuranceCase, charge: CapitalCharge) -> dict[str, Any]:
    by_assurance = coverage.covered_by_assurance(state, charge)
    covered_by = "assurance" if by_assurance else (
        "doj_commitment" if coverage.doj_covering(state, charge) else None)
    return {
        "charge_id": charge.charge_id, "statute": charge.statute,
        "death_penalty_law": charge.death_penalty_law, "generation": charge.generation,
        "coverage": coverage.charge_status(state, charge),
        "covered": covered_by is not None, "covered_by": covered_by,
        "assurance_ids": [a.assurance_id for a in state.assurances.values()
                          if charge.cover in a.covers],
    }


def _assurance(state: AssuranceCase, assurance: Assurance) -> dict[str, Any]:
    current = {c.cover for c in state.capital.values()}
    return {
        "assurance_id": assurance.assurance_id, "status": assurance.status,
        "scope": list(assurance.scope), "scope_sufficient": assurance.scope_sufficient,
        "diplomatic_note_reference": assurance.diplomatic_note.reference,
        "issuing_authority": assurance.diplomatic_note.issuing_authority,
        "issued_on": iso_day(assurance.issued_on), "charge_ids": list(assurance.charge_ids),
        # Charges it was given for that are still capital in the same form.
        "covers_current_charges": sorted(c for c, _ in assurance.covers & current),
        "decided_on": iso_day(assurance.decided_on), "decision_reason": assurance.decision_reason,
        "withdrawn_on": iso_day(assurance.withdrawn_on),
        "withdrawal_reason": assurance.withdrawal_reason,
    }


def _request(request: AssuranceRequest) -> dict[str, Any]:
    return {"charge_ids": list(request.charge_ids),
            "requested_on": iso_day(request.requested_on), "note": request.note}


def _clearance(state: AssuranceCase) -> dict[str, Any]:
    recorded = state.clearance
    failing = rules.CLEARANCE.failing(state)
    blocked = None if not failing else {
        "rule": failing[0].id,
        "uncovered_charge_ids": list(coverage.uncovered_charges(state)),
        "detail": rules.blocked_detail(state)}
    return {
        "cleared": recorded.cleared, "since": iso_instant(recorded.since),
        "basis": recorded.basis, "exception": recorded.exception,
        "charge_ids": list(recorded.charge_ids), "assurance_ids": list(recorded.assurance_ids),
        "doj_commitment_reference": recorded.doj_commitment_reference,
        "withdrawn_at": iso_instant(recorded.withdrawn_at),
        "withdrawal_reason": recorded.withdrawal_reason,
        "blocked": blocked,
    }


def _commitment(state: AssuranceCase, doj: DojCommitment) -> dict[str, Any]:
    return {
        "reference": doj.reference, "committed_on": iso_day(doj.committed_on),
        "authority": doj.authority, "scope": doj.scope,
        "charge_ids": None if doj.charge_ids is None else list(doj.charge_ids),
        "prosecuting_authority": doj.prosecuting_authority, "seeks_death": doj.seeks_death,
        "covers_charge_ids": [c.charge_id for c in state.capital.values()
                              if doj in coverage.commitments_covering(state, c)],
        "after_transfer": coverage.commitment_after_transfer(state, doj),
        "recorded_after_the_fact": doj.recorded_after_the_fact}


def _transfer(state: AssuranceCase, transfer: Transfer) -> dict[str, Any]:
    """The transfer as judged on legal dates; `recorded_after_the_fact` is clerical: the
    handoff, or a commitment relied on, was entered on a later day than its legal date."""
    late = rules.RECORDED_AFTER_THE_FACT.blocking(state)
    return {
        "transferred_at": iso_instant(transfer.transferred_at),
        "transfer_legal_date": iso_day(transfer.transfer_on),
        "cleared_at_transfer": transfer.cleared_at_transfer,
        "flagged": transfer.flagged, "flag_reason": transfer.flag_reason,
        "flag": None if not transfer.flagged else {
            "rule": transfer.flag_reason,
            "statement": rules.RULES.statement(str(transfer.flag_reason)),
            "transfer_legal_date": iso_day(transfer.transfer_on),
            "clearance_legal_date": iso_day(transfer.clearance_on)},
        "recorded_after_the_fact": late}


def case_view(state: AssuranceCase) -> dict[str, Any]:
    doj = state.doj
    transfer = state.transfer
    return {
        "case_id": state.case_id,
        "legal_basis": state.legal_basis,
        "version": state.seq,
        "capital_charges": [_charge(state, c) for c in state.capital.values()],
        "assurance_requests": [_request(r) for r in state.requests],
        "assurances": [_assurance(state, a) for a in state.assurances.values()],
        "doj_commitment": None if doj is None else _commitment(state, doj),
        "doj_commitments": [_commitment(state, c) for c in state.commitments.values()],
        "transfer": None if transfer is None else _transfer(state, transfer),
        "clearance": _clearance(state),
    }
