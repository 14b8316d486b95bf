"""The assurance service's decisions: pure functions from (state, command, now) to new events.

`now` is when Runway records the command; it only bounds the documents' dates (nothing is
dated in the future). Every event is dated at the legal time of its act (the document's
date, or the cause's legal time for what another service's event brings), and so is the
clearance granted because of it.

Every decision ends by reconciling the recorded clearance with the one the case deserves, so
clearance is granted exactly when every capital charge is covered, withdrawn the moment one is
not, and never granted while a capital charge lacks an accepted assurance. A command the state
forbids raises RuleViolation and decides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel

from shared import citations
from shared.errors import NotFound
from shared.eventstore import NewEvent
from shared.legaltime import legal_date, start_of_legal_day
from shared.rules import law

from . import authorities, coverage, rules
from . import events as ev
from .events import Scope
from .state import (
    Assurance,
    AssuranceCase,
    CapitalCharge,
    ReceivedAssurance,
    apply,
    evolve,
    in_force,
    initial,
)

__all__ = ["AssuranceCase", "ReceivedAssurance", "evolve", "initial"]

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


@dataclass(frozen=True)
class BasisChange:
    """judicial.basis_changed, as far as assurance reads it."""

    case_id: str
    to_basis: str
    changed_on: date
    judicial_event_id: str


def _event(event_type: str, payload: BaseModel, occurred_at: datetime | None = None) -> NewEvent:
    return NewEvent(event_type, payload.model_dump(mode="json"),
                    schema_version=ev.schema_version(event_type), occurred_at=occurred_at)


def _on(day: date) -> datetime:
    """The legal instant a dated document stands for: the start of its legal day (in
    LEGAL_TIMEZONE), so its legal date is the document's date."""
    return start_of_legal_day(day)


def preview(state: AssuranceCase, new_events: Iterable[NewEvent]) -> AssuranceCase:
    for event in new_events:
        state = apply(state, event.event_type, event.payload)
    return state


# --- clearance --------------------------------------------------------------------------

def reconcile(state: AssuranceCase, at: datetime, reason: str) -> list[NewEvent]:
    """The events that bring the recorded clearance, and the transfer's flag, in line with
    what the legal facts deserve. `at` is the legal time of the act being recorded (a
    document's date, the cause's legal time): the events' occurred_at, never the clock's."""
    decided = _reconcile_clearance(state, at, reason)
    # The transfer's finding reads the legal facts, not the recorded clearance; it is told
    # first.
    return _review_transfer(state, at) + decided


def _reconcile_clearance(state: AssuranceCase, at: datetime, reason: str) -> list[NewEvent]:
    target = coverage.target_clearance(state)
    recorded = state.clearance
    if target is None:
        if not recorded.cleared:
            return []
        return [_event(ev.CLEARANCE_WITHDRAWN, ev.ClearanceWithdrawn(
            case_id=_case_id(state), reason=reason,
            charge_ids=coverage.uncovered_charges(state), withdrawn_at=at,
            cleared_since=recorded.since), at)]
    if coverage.matches(state, target):
        return []
    # A clearance takes legal effect on its own date, never earlier: restated when an earlier
    # act is entered after it (a custody transfer that preceded the DOJ commitment, which
    # adds the exception), it is still dated at its `since`, so the legal position on a day
    # between the two shows the person uncleared.
    effective = max(at, target.since)
    return [_event(ev.CLEARANCE_GRANTED, ev.ClearanceGranted(
        case_id=_case_id(state), basis=target.basis, charge_ids=target.charge_ids,
        assurance_ids=target.assurance_ids,
        doj_commitment_reference=target.doj_commitment_reference, cleared_since=target.since,
        granted_at=effective, exception=target.exception), effective)]


def _review_transfer(state: AssuranceCase, at: datetime) -> list[NewEvent]:
    """Flag the custody transfer (naming the two legal dates compared), re-flag it when the
    comparison changes, or lift the flag when an act recorded after the fact shows the case
    was cleared in law by the transfer's legal date. The finding is about the counts charged
    on that date (coverage.transfer_finding): what happens to the case after it changes the
    current clearance and its exception, never the transfer's flag."""
    transfer = state.transfer
    if transfer is None:
        return []
    finding = coverage.transfer_finding(state, rules.NOT_CLEARED.id,
                                        rules.CLEARED_AFTER_TRANSFER.id)
    flagged = (transfer.flag_reason, transfer.clearance_on) if transfer.flagged else None
    if finding is not None and (finding.rule, finding.clearance_on) != flagged:
        # `cleared_since` is the start of the clearance the flag compared, as in v1.
        compared = None if finding.clearance_on is None else _on(finding.clearance_on)
        return [_event(ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED, ev.TransferWithoutClearanceFlagged(
            case_id=_case_id(state), transferred_at=transfer.transferred_at,
            transfer_legal_date=finding.transfer_on, clearance_legal_date=finding.clearance_on,
            uncovered_charge_ids=finding.uncovered_charge_ids, reason=finding.rule,
            cleared_since=compared), transfer.transferred_at)]
    if finding is None and flagged is not None:
        # Cleared in law on the transfer's date, though perhaps not now (a count added since):
        # the flag names the clearance that held that day.
        return [_event(ev.TRANSFER_FLAG_LIFTED, ev.TransferFlagLifted(
            case_id=_case_id(state), transfer_legal_date=transfer.transfer_on,
            clearance_legal_date=coverage.clearance_on_day(state, transfer.transfer_on),
            reason=str(transfer.flag_reason)), at)]
    return []


def _settle(state: AssuranceCase, decided: list[NewEvent], at: datetime,
            reason: str) -> list[NewEvent]:
    return decided + reconcile(preview(state, decided), at, reason)


def evaluate(state: AssuranceCase, now: datetime) -> list[NewEvent]:
    """An explicit re-evaluation: refuses, naming the gaps, when the case cannot be cleared.
    It records no act of its own: were anything out of line, it is dated now (an entry)."""
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
    # Derived from intake's event: dated at its legal time, not when it reached us.
    return _settle(state, decided, intake.recorded_at, "capital_charge_identified")


def _charge_changes(state: AssuranceCase, intake: IntakeCharges) -> list[NewEvent]:
    wanted = {c.charge_id: c for c in intake.charges if c.death_penalty_possible}
    present = {c.charge_id for c in intake.charges}
    changes: list[NewEvent] = []
    for charge in state.capital.values():
        facts = wanted.get(charge.charge_id)
        if facts is None:
            why = "no_longer_capital" if charge.charge_id in present else "charge_removed"
        elif not _same_terms(facts, charge):
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


def _same_terms(facts: ChargeFacts, charge: CapitalCharge) -> bool:
    """Whether intake's count is still the capital charge identified: the same statute and
    death-penalty law however written (shared/citations: one law each, as the court compares
    them). Only another law re-identifies the count; a new spelling keeps its generation, and
    the assurances given for it."""
    law_then, law_now = charge.death_penalty_law, facts.death_penalty_law
    same_law = (law_then is None and law_now is None) or (
        law_then is not None and law_now is not None and citations.same(law_now, law_then))
    return same_law and citations.same(facts.statute, charge.statute)


# --- judicial ---------------------------------------------------------------------------

def note_basis_change(state: AssuranceCase, change: BasisChange) -> list[NewEvent]:
    """Judicial moved the case to another basis; on the national-security basis a DOJ
    commitment may now clear it. Dated at the decision's legal date; the same change again
    (a redelivery) decides nothing."""
    if not state.exists:
        law.CASE_NOT_OPENED.refuse(f"case {change.case_id} is unknown here yet; the basis "
                                   "change is retried")
    if state.legal_basis == change.to_basis:
        return []
    at = _on(change.changed_on)
    decided = [_event(ev.BASIS_CHANGED, ev.BasisChanged(
        case_id=change.case_id, from_basis=str(state.legal_basis), to_basis=change.to_basis,
        changed_on=change.changed_on, judicial_event_id=change.judicial_event_id), at)]
    return _settle(state, decided, at, "basis_changed")


# --- transfer ---------------------------------------------------------------------------

def note_transfer(state: AssuranceCase, case_id: str, transferred_at: datetime,
                  transport_event_id: str, now: datetime,
                  recorded_at: datetime | None = None) -> list[NewEvent]:
    """Custody passed to the US (at `transferred_at`, its legal instant; transport recorded it
    at `recorded_at`). It is judged on legal dates: cleared at the transfer when the case was
    cleared in law on its legal date, whatever was recorded since (an amendment dated after
    it does not reach back); entered late is only clerical."""
    if not state.exists:
        law.CASE_NOT_OPENED.refuse(f"case {case_id} is unknown here yet; the transfer is "
                                   "retried")
    if state.transfer is not None and state.transfer.transferred_at == transferred_at:
        return []
    transfer_on = legal_date(transferred_at)
    late = legal_date(recorded_at or now) > transfer_on
    decided = [_event(ev.TRANSFER_NOTED, ev.TransferNoted(
        case_id=case_id, transferred_at=transferred_at, transfer_legal_date=transfer_on,
        cleared_at_transfer=coverage.cleared_on(state, transfer_on),
        transport_event_id=transport_event_id,
        recorded_after_the_fact=late), transferred_at)]
    return _settle(state, decided, transferred_at, "transfer_noted")


# --- assurance officers' commands -------------------------------------------------------

def request_assurance(state: AssuranceCase, charge_ids: Sequence[str], requested_on: date,
                      note: str | None, now: datetime) -> list[NewEvent]:
    _require_case(state)
    charges = _capital_charge_ids(state, charge_ids, requested_on)
    _not_future("requested_on", requested_on, now)
    decided = [_event(ev.ASSURANCE_REQUESTED, ev.AssuranceRequested(
        case_id=_case_id(state), charge_ids=charges, requested_on=requested_on, note=note),
        _on(requested_on))]
    return _settle(state, decided, _on(requested_on), "assurance_requested")


def receive_assurance(state: AssuranceCase, received: ReceivedAssurance, policy: Policy,
                      now: datetime) -> list[NewEvent]:
    _require_case(state)
    if received.assurance_id in state.assurances:
        rules.ASSURANCE_ALREADY_RECORDED.refuse(
            f"assurance {received.assurance_id} is already recorded")
    charges = _capital_charge_ids(state, received.charge_ids, received.issued_on)
    _not_future("issued_on", received.issued_on, now)
    scope = tuple(dict.fromkeys(received.scope))
    decided = [_event(ev.ASSURANCE_RECEIVED, ev.AssuranceReceived(
        case_id=_case_id(state), assurance_id=received.assurance_id, scope=scope,
        diplomatic_note=received.diplomatic_note,
        charge_ids=charges, scope_sufficient=bool(set(scope) & policy.sufficient_scopes),
        charges_as_dated=True), _on(received.issued_on))]
    return _settle(state, decided, _on(received.issued_on), "assurance_received")


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
    return _settle(state, decided, _on(decided_on), "assurance_rejected")


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
    return _settle(state, decided, _on(withdrawn_on), "assurance_withdrawn")


def record_doj_commitment(state: AssuranceCase, reference: str, committed_on: date,
                          authority: str, scope: str, now: datetime, *,
                          charge_ids: Sequence[str] | None = None,
                          prosecuting_authority: str = coverage.FEDERAL,
                          seeks_death: bool = False) -> list[NewEvent]:
    """National-security basis only: a written commitment not to seek death, with its scope
    as data: the counts it covers (None: every count), the prosecuting authority it binds
    (federal, or a state for that state's counts) and whether it seeks death after all. It is
    recorded as it is, naming the counts as they stand on its date; whether it clears the case
    is coverage's question."""
    _require_case(state)
    law.BASIS_MISMATCH.require(
        state.national_security,
        f"a DOJ commitment replaces assurances only on the national_security basis; case "
        f"{state.case_id} is on the {state.legal_basis} basis and needs accepted assurances")
    prosecuting_authority = _authority(prosecuting_authority)
    rules.DOJ_COMMITMENT_ALREADY_RECORDED.require(
        all(c.reference != reference for c in state.commitments.values()),
        f"the commitment {reference} is already recorded; a further commitment (for counts "
        "charged since, or withdrawing it) is recorded under its own reference")
    _not_future("committed_on", committed_on, now)
    transfer = state.transfer
    decided = [_event(ev.DOJ_COMMITMENT_RECORDED, ev.DojCommitmentRecorded(
        case_id=_case_id(state), reference=reference, committed_on=committed_on,
        authority=authority, scope=scope,
        charge_ids=None if charge_ids is None else tuple(dict.fromkeys(charge_ids)),
        prosecuting_authority=prosecuting_authority, seeks_death=seeks_death,
        after_transfer=transfer is not None and committed_on > transfer.transfer_on,
        transferred_at=transfer.transferred_at if transfer else None,
        recorded_after_the_fact=legal_date(now) > committed_on, charges_as_dated=True),
        _on(committed_on))]
    return _settle(state, decided, _on(committed_on), "doj_commitment_recorded")


def _authority(text: str) -> str:
    """The prosecution a commitment binds, in its one spelling: a state's count needs that
    state's own commitment, so a text that names neither federal nor a state is refused."""
    found = authorities.recognised(text)
    if found is None:
        rules.PROSECUTING_AUTHORITY_UNKNOWN.refuse(
            f"prosecuting_authority {text!r} names neither the federal prosecution nor a US "
            "state: enter \"federal\" for the DOJ's commitment, or the state's name (e.g. "
            "California) for a state prosecutor's own")
    return found


# --- guards -----------------------------------------------------------------------------

def _case_id(state: AssuranceCase) -> str:
    assert state.case_id is not None
    return state.case_id


def _require_case(state: AssuranceCase) -> None:
    if not state.exists:
        raise NotFound("case", "(not opened)")


def _capital_charge_ids(state: AssuranceCase, charge_ids: Sequence[str],
                        dated: date) -> tuple[str, ...]:
    """The counts an assurance (or its request) of this date names, each capital on that date
    or made capital after it: it covers them as they stood on its date (state.in_force), so a
    note entered late is recorded for a count dropped or re-charged since."""
    wanted = tuple(dict.fromkeys(charge_ids))
    rules.CHARGE_NOT_CAPITAL_ELIGIBLE.require(bool(wanted), "name at least one capital charge")
    strangers = [c for c in wanted if not in_force(state, (c,), dated)]
    if strangers:
        known = ", ".join(state.capital) or "none"
        rules.CHARGE_NOT_CAPITAL_ELIGIBLE.refuse(
            f"{', '.join(strangers)} is not a capital-eligible charge of case {state.case_id} "
            f"on {dated} or since (capital charges now: {known})")
    return wanted


def _not_future(field_name: str, day: date, now: datetime) -> None:
    today = legal_date(now)
    law.DATE_IN_FUTURE.require(day <= today, f"{field_name} {day} is after today ({today})")


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
