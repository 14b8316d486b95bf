"""The assurance service's decisions: pure functions from (state, command, now) to new events.

Every decision ends by reconciling the recorded clearance with the one the case deserves, so
clearance is granted exactly when every capital charge is covered, withdrawn the moment one is
not, and never granted while a capital charge lacks an accepted assurance. A command the state
forbids raises RuleViolation and decides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from pydantic import BaseModel

from shared.errors import NotFound
from shared.eventstore import NewEvent
from shared.rules import law

from . import coverage, rules
from . import events as ev
from .events import Scope
from .state import Assurance, AssuranceCase, apply, evolve, initial

__all__ = ["AssuranceCase", "evolve", "initial"]

# Treaty art. 8: death "will not be imposed, or if imposed, will not be carried out".
TREATY_SUFFICIENT_SCOPES = frozenset({Scope.NOT_IMPOSED, Scope.NOT_CARRIED_OUT})


@dataclass(frozen=True)
class Policy:
    """Configuration the rules read (see settings.py)."""

    sufficient_scopes: frozenset[Scope] = TREATY_SUFFICIENT_SCOPES


@dataclass(frozen=True)
class ChargeFacts:
    """What this service needs of an intake charge."""

    charge_id: str
    statute: str
    death_penalty_possible: bool
    death_penalty_law: str | None = None


@dataclass(frozen=True)
class IntakeCharges:
    """A case's charge list as intake last recorded it (a submission or an amendment)."""

    case_id: str
    source: str  # "request_submitted" | "charges_amended"
    charges: tuple[ChargeFacts, ...]
    recorded_at: datetime
    intake_event_id: str
    legal_basis: str | None = None  # only on request_submitted
    amendment_reason: str | None = None


def _event(event_type: str, payload: BaseModel, occurred_at: datetime | None = None) -> NewEvent:
    return NewEvent(event_type, payload.model_dump(mode="json"),
                    schema_version=ev.schema_version(event_type), occurred_at=occurred_at)


def _on(day: date) -> datetime:
    """The instant a dated document stands for on the timeline: its date, 00:00 UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def preview(state: AssuranceCase, new_events: Iterable[NewEvent]) -> AssuranceCase:
    for event in new_events:
        state = apply(state, event.event_type, event.payload)
    return state


# --- clearance --------------------------------------------------------------------------

def reconcile(state: AssuranceCase, now: datetime, reason: str) -> list[NewEvent]:
    """The clearance events that bring the recorded clearance in line with the deserved one."""
    target = coverage.target_clearance(state)
    recorded = state.clearance
    if target is None:
        if not recorded.cleared:
            return []
        return [_event(ev.CLEARANCE_WITHDRAWN, ev.ClearanceWithdrawn(
            case_id=_case_id(state), reason=reason,
            charge_ids=coverage.uncovered_charges(state), withdrawn_at=now,
            cleared_since=recorded.since), now)]
    if coverage.matches(state, target):
        return []
    since = recorded.since if recorded.cleared and recorded.since else now
    return [_event(ev.CLEARANCE_GRANTED, ev.ClearanceGranted(
        case_id=_case_id(state), basis=target.basis, charge_ids=target.charge_ids,
        assurance_ids=target.assurance_ids,
        doj_commitment_reference=target.doj_commitment_reference, cleared_since=since,
        granted_at=now, exception=target.exception), now)]


def _settle(state: AssuranceCase, decided: list[NewEvent], now: datetime,
            reason: str) -> list[NewEvent]:
    return decided + reconcile(preview(state, decided), now, reason)


def evaluate(state: AssuranceCase, now: datetime) -> list[NewEvent]:
    """An explicit re-evaluation: refuses, naming the gaps, when the case cannot be cleared."""
    _require_case(state)
    rules.CLEARANCE.enforce(state, lambda rule: rules.blocked_detail(state))
    return reconcile(state, now, "re_evaluation")


# --- intake -----------------------------------------------------------------------------

def take_charges(state: AssuranceCase, intake: IntakeCharges, now: datetime) -> list[NewEvent]:
    """Open the case (first sight) and follow its capital charges.

    A submission for a case that already exists is applied like an amendment, so a replayed
    or duplicated submission decides nothing new. An amendment for a case not yet opened is
    refused so that the consumer retries it once the submission has been applied.
    """
    decided: list[NewEvent] = []
    if not state.exists:
        if intake.source != "request_submitted" or intake.legal_basis is None:
            law.CASE_NOT_OPENED.refuse(f"case {intake.case_id} has no submitted request "
                                         f"yet; {intake.source} is retried until it has")
        decided.append(_event(ev.CASE_OPENED, ev.CaseOpened(
            case_id=intake.case_id, legal_basis=intake.legal_basis,
            charge_ids=tuple(c.charge_id for c in intake.charges),
            submitted_at=intake.recorded_at, intake_event_id=intake.intake_event_id),
            intake.recorded_at))
    decided += _charge_changes(preview(state, decided), intake)
    return _settle(state, decided, now, "capital_charge_identified")


def _charge_changes(state: AssuranceCase, intake: IntakeCharges) -> list[NewEvent]:
    wanted = {c.charge_id: c for c in intake.charges if c.death_penalty_possible}
    present = {c.charge_id for c in intake.charges}
    changes: list[NewEvent] = []
    for charge in state.capital.values():
        facts = wanted.get(charge.charge_id)
        if facts is None:
            why = "no_longer_capital" if charge.charge_id in present else "charge_removed"
        elif (facts.statute, facts.death_penalty_law) != (charge.statute,
                                                          charge.death_penalty_law):
            why = "charge_terms_changed"
        else:
            continue
        changes.append(_event(ev.CAPITAL_CHARGE_WITHDRAWN, ev.CapitalChargeWithdrawn(
            case_id=intake.case_id, charge_id=charge.charge_id, statute=charge.statute,
            reason=why, amendment_reason=intake.amendment_reason,
            withdrawn_at=intake.recorded_at), intake.recorded_at))
    after = preview(state, changes)
    for facts in wanted.values():
        if facts.charge_id in after.capital:
            continue
        changes.append(_event(ev.CAPITAL_CHARGE_IDENTIFIED, ev.CapitalChargeIdentified(
            case_id=intake.case_id, charge_id=facts.charge_id, statute=facts.statute,
            death_penalty_law=facts.death_penalty_law,
            generation=after.generations.get(facts.charge_id, 0) + 1, source=intake.source,
            amendment_reason=intake.amendment_reason, identified_at=intake.recorded_at),
            intake.recorded_at))
    return changes


# --- transfer ---------------------------------------------------------------------------

def note_transfer(state: AssuranceCase, case_id: str, transferred_at: datetime,
                  transport_event_id: str, now: datetime) -> list[NewEvent]:
    """Custody passed to the US; an uncleared transfer is flagged for auditors."""
    if not state.exists:
        law.CASE_NOT_OPENED.refuse(f"case {case_id} is unknown here yet; the transfer is "
                                     "retried")
    if state.transfer is not None and state.transfer.transferred_at == transferred_at:
        return []
    recorded = state.clearance
    cleared_then = recorded.cleared and recorded.since is not None \
        and recorded.since <= transferred_at
    decided = [_event(ev.TRANSFER_NOTED, ev.TransferNoted(
        case_id=case_id, transferred_at=transferred_at, cleared_at_transfer=cleared_then,
        transport_event_id=transport_event_id), transferred_at)]
    if not cleared_then:
        decided.append(_event(ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED,
                              ev.TransferWithoutClearanceFlagged(
            case_id=case_id, transferred_at=transferred_at,
            uncovered_charge_ids=coverage.uncovered_charges(state),
            reason="cleared_after_transfer" if recorded.cleared else "not_cleared",
            cleared_since=recorded.since), transferred_at))
    return _settle(state, decided, now, "transfer_noted")


# --- assurance officers' commands -------------------------------------------------------

def request_assurance(state: AssuranceCase, charge_ids: Sequence[str], requested_on: date,
                      note: str | None, now: datetime) -> list[NewEvent]:
    _require_case(state)
    charges = _capital_charge_ids(state, charge_ids)
    _not_future("requested_on", requested_on, now)
    decided = [_event(ev.ASSURANCE_REQUESTED, ev.AssuranceRequested(
        case_id=_case_id(state), charge_ids=charges, requested_on=requested_on, note=note),
        _on(requested_on))]
    return _settle(state, decided, now, "assurance_requested")


@dataclass(frozen=True)
class ReceivedAssurance:
    assurance_id: str
    scope: tuple[Scope, ...]
    diplomatic_note_reference: str
    issuing_authority: str
    issued_on: date
    charge_ids: tuple[str, ...]


def receive_assurance(state: AssuranceCase, received: ReceivedAssurance, policy: Policy,
                      now: datetime) -> list[NewEvent]:
    _require_case(state)
    if received.assurance_id in state.assurances:
        rules.ASSURANCE_ALREADY_RECORDED.refuse(
            f"assurance {received.assurance_id} is already recorded")
    charges = _capital_charge_ids(state, received.charge_ids)
    _not_future("issued_on", received.issued_on, now)
    scope = tuple(dict.fromkeys(received.scope))
    decided = [_event(ev.ASSURANCE_RECEIVED, ev.AssuranceReceived(
        case_id=_case_id(state), assurance_id=received.assurance_id, scope=scope,
        diplomatic_note=ev.DiplomaticNote(
            reference=received.diplomatic_note_reference,
            issuing_authority=received.issuing_authority, issued_on=received.issued_on),
        charge_ids=charges, scope_sufficient=bool(set(scope) & policy.sufficient_scopes)),
        _on(received.issued_on))]
    return _settle(state, decided, now, "assurance_received")


def decide_assurance(state: AssuranceCase, assurance_id: str, accepted: bool,
                     decided_on: date, reason: str, policy: Policy,
                     now: datetime) -> list[NewEvent]:
    """Mexico's evaluation. Acceptance needs a scope the treaty recognises (art. 8)."""
    assurance = _pending_assurance(state, assurance_id)
    _not_future("decided_on", decided_on, now)
    rules.DATE_BEFORE_ISSUE.require(
        decided_on >= assurance.issued_on,
        f"decided_on {decided_on} is before the assurance was issued ({assurance.issued_on})")
    if accepted and not set(assurance.scope) & policy.sufficient_scopes:
        wanted = " or ".join(sorted(policy.sufficient_scopes))
        rules.ASSURANCE_SCOPE_INSUFFICIENT.refuse(
            f"assurance {assurance_id} promises only {', '.join(assurance.scope)}; acceptance "
            f"needs {wanted} (treaty art. 8: death will not be imposed, or not carried out)")
    if accepted:
        decided = [_event(ev.ASSURANCE_ACCEPTED, ev.AssuranceAccepted(
            case_id=_case_id(state), assurance_id=assurance_id, decided_on=decided_on,
            reason=reason, charge_ids=assurance.charge_ids, scope=assurance.scope),
            _on(decided_on))]
    else:
        decided = [_event(ev.ASSURANCE_REJECTED, ev.AssuranceRejected(
            case_id=_case_id(state), assurance_id=assurance_id, decided_on=decided_on,
            reason=reason, charge_ids=assurance.charge_ids), _on(decided_on))]
    return _settle(state, decided, now, "assurance_rejected")


def withdraw_assurance(state: AssuranceCase, assurance_id: str, withdrawn_on: date,
                       reason: str, now: datetime) -> list[NewEvent]:
    """The US withdrew the assurance or Mexico revoked its acceptance."""
    assurance = _assurance(state, assurance_id)
    rules.ASSURANCE_ALREADY_WITHDRAWN.require(
        assurance.status != "withdrawn",
        f"assurance {assurance_id} was withdrawn on {assurance.withdrawn_on}")
    _not_future("withdrawn_on", withdrawn_on, now)
    rules.DATE_BEFORE_ISSUE.require(
        withdrawn_on >= assurance.issued_on,
        f"withdrawn_on {withdrawn_on} is before the assurance was issued "
        f"({assurance.issued_on})")
    decided = [_event(ev.ASSURANCE_WITHDRAWN, ev.AssuranceWithdrawn(
        case_id=_case_id(state), assurance_id=assurance_id, withdrawn_on=withdrawn_on,
        reason=reason, charge_ids=assurance.charge_ids), _on(withdrawn_on))]
    return _settle(state, decided, now, "assurance_withdrawn")


def record_doj_commitment(state: AssuranceCase, reference: str, committed_on: date,
                          authority: str, scope: str, now: datetime) -> list[NewEvent]:
    """National-security basis only: the DOJ's commitment not to seek death."""
    _require_case(state)
    law.BASIS_MISMATCH.require(
        state.national_security,
        f"a DOJ commitment replaces assurances only on the national_security basis; case "
        f"{state.case_id} is on the {state.legal_basis} basis and needs accepted assurances")
    if state.doj is not None:
        rules.DOJ_COMMITMENT_ALREADY_RECORDED.refuse(
            f"the DOJ commitment {state.doj.reference} is already recorded")
    _not_future("committed_on", committed_on, now)
    transfer = state.transfer
    decided = [_event(ev.DOJ_COMMITMENT_RECORDED, ev.DojCommitmentRecorded(
        case_id=_case_id(state), reference=reference, committed_on=committed_on,
        authority=authority, scope=scope, after_transfer=transfer is not None,
        transferred_at=transfer.transferred_at if transfer else None), _on(committed_on))]
    return _settle(state, decided, now, "doj_commitment_recorded")


# --- guards -----------------------------------------------------------------------------

def _case_id(state: AssuranceCase) -> str:
    assert state.case_id is not None
    return state.case_id


def _require_case(state: AssuranceCase) -> None:
    if not state.exists:
        raise NotFound("case", "(not opened)")


def _capital_charge_ids(state: AssuranceCase, charge_ids: Sequence[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(charge_ids))
    rules.CHARGE_NOT_CAPITAL_ELIGIBLE.require(bool(wanted), "name at least one capital charge")
    strangers = [c for c in wanted if c not in state.capital]
    if strangers:
        known = ", ".join(state.capital) or "none"
        rules.CHARGE_NOT_CAPITAL_ELIGIBLE.refuse(
            f"{', '.join(strangers)} is not a capital-eligible charge of case {state.case_id} "
            f"(capital charges: {known})")
    return wanted


def _not_future(field_name: str, day: date, now: datetime) -> None:
    law.DATE_IN_FUTURE.require(day <= now.date(),
                                 f"{field_name} {day} is after today ({now.date()})")


def _assurance(state: AssuranceCase, assurance_id: str) -> Assurance:
    _require_case(state)
    found = state.assurances.get(assurance_id)
    if found is None:
        raise NotFound("assurance", assurance_id)
    return found


def _pending_assurance(state: AssuranceCase, assurance_id: str) -> Assurance:
    assurance = _assurance(state, assurance_id)
    rules.ASSURANCE_WITHDRAWN.require(
        assurance.status != "withdrawn",
        f"assurance {assurance_id} was withdrawn on {assurance.withdrawn_on}; it can no "
        "longer be evaluated")
    rules.ASSURANCE_ALREADY_DECIDED.require(
        assurance.status == "received",
        f"Mexico already {assurance.status} assurance {assurance_id} on {assurance.decided_on}")
    return assurance
