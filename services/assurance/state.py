"""A case's death-penalty picture as a fold of its events (pure; no I/O, no clock).

Coverage is tied to a *generation* of a capital charge: when a charge stops being capital, or
its statute or death-penalty law changes, and it later becomes capital again, it gets a new
generation, and assurances given for an earlier generation no longer cover it (Mexico judged
the assurance against the offence as it was then).

Every generation keeps the legal days it was in force (`history`), and every instrument the
legal days it covered, so that coverage can be asked of any legal date (coverage.cleared_on):
a transfer is judged on its own date whatever order the acts were recorded in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from shared.aggregate import EventTable
from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date
from shared.upcasting import discovered

from . import events as ev
from .events import ClearanceBasis, ClearanceException, DiplomaticNote, Scope

NATIONAL_SECURITY = "national_security"

Cover = tuple[str, int]  # (charge_id, generation)


@dataclass(frozen=True)
class CapitalCharge:
    charge_id: str
    statute: str
    death_penalty_law: str | None
    generation: int
    # The legal days this generation is in force: from `since` (None: a count of the request
    # itself, which predates the request; assurances for it are often dated earlier) until
    # `until`, exclusive (None: still capital). An amendment's generation starts on its date.
    since: date | None = None
    until: date | None = None

    @property
    def cover(self) -> Cover:
        return (self.charge_id, self.generation)

    def in_force_on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None
                                                               or day < self.until)


@dataclass(frozen=True)
class AssuranceRequest:
    charge_ids: tuple[str, ...]
    requested_on: date
    note: str | None
    covers: frozenset[Cover]
    seq: int


@dataclass(frozen=True)
class ReceivedAssurance:
    """An assurance as the US gave it (what an officer records), its note as the
    assurance_received event carries it."""

    assurance_id: str
    scope: tuple[Scope, ...]
    diplomatic_note: DiplomaticNote
    charge_ids: tuple[str, ...]

    @property
    def issued_on(self) -> date:
        """The day the assurance was given: its note's date."""
        return self.diplomatic_note.issued_on


@dataclass(frozen=True)
class Assurance(ReceivedAssurance):
    """A received assurance as the case keeps it: what it covers and where it stands."""

    covers: frozenset[Cover]  # the charge generations it was given for
    scope_sufficient: bool
    status: str = "received"  # received | accepted | rejected | withdrawn
    decided_on: date | None = None
    decision_reason: str | None = None
    decided_seq: int | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    withdrawn_seq: int | None = None
    # Kept after a withdrawal: the legal day from which it covered (until withdrawn_on).
    accepted_on: date | None = None
    # It covers the named charges as they stood on its note's date (see _bind_as_dated);
    # false for events recorded before that: as they stood when it was recorded.
    as_dated: bool = False


@dataclass(frozen=True)
class DojCommitment:
    reference: str
    committed_on: date  # its legal date
    authority: str
    scope: str
    charge_ids: tuple[str, ...] | None = None  # None: every count of the case
    prosecuting_authority: str = "federal"
    seeks_death: bool = False
    recorded_after_the_fact: bool = False  # clerical only
    # The generations of the named counts it was given for: those in force on committed_on
    # (see _bind_as_dated). None: any generation (every count, or an event recorded before
    # commitments were bound to the counts' form).
    covers: frozenset[Cover] | None = None
    as_dated: bool = False


@dataclass(frozen=True)
class Transfer:
    """The custody transfer, judged on legal dates against the clearance."""

    transferred_at: datetime  # the handoff's legal instant
    transfer_on: date  # its legal date
    cleared_at_transfer: bool  # the clearance's legal date is on or before transfer_on
    flagged: bool = False
    flag_reason: str | None = None
    clearance_on: date | None = None  # the clearance's legal date the flag compared
    recorded_after_the_fact: bool = False  # clerical only


@dataclass(frozen=True)
class Clearance:
    cleared: bool = False
    since: datetime | None = None
    basis: ClearanceBasis | None = None
    exception: ClearanceException | None = None
    charge_ids: tuple[str, ...] = ()
    assurance_ids: tuple[str, ...] = ()
    doj_commitment_reference: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None


@dataclass(frozen=True)
class AssuranceCase:
    case_id: str | None = None
    legal_basis: str | None = None
    # The case's legal start (intake's request): a clearance that held on every day since,
    # whatever order its acts were recorded in, dates from it (coverage.cleared_since).
    opened_at: datetime | None = None
    # The legal day a treaty case came on the national-security basis (None: on it from the
    # start). A DOJ commitment dated earlier covers only from that day: on the treaty basis
    # only an accepted assurance clears (brief rule 1; coverage.commitment_start).
    national_security_since: date | None = None
    seq: int = 0  # events folded so far (= stream version)
    capital: Mapping[str, CapitalCharge] = field(default_factory=dict)
    generations: Mapping[str, int] = field(default_factory=dict)  # survives withdrawal
    history: Mapping[Cover, CapitalCharge] = field(default_factory=dict)  # every generation
    requests: tuple[AssuranceRequest, ...] = ()
    assurances: Mapping[str, Assurance] = field(default_factory=dict)
    # The commitments not to seek death (national-security basis), by (reference,
    # prosecuting authority), in the order recorded: the DOJ's ("federal") and a state's own
    # for its counts; a prosecution's later commitment may name counts charged since, or seek
    # death after all (coverage.py). Streams from when one was allowed per authority may hold
    # a federal and a state commitment under one reference: both are kept.
    commitments: Mapping[tuple[str, str], DojCommitment] = field(default_factory=dict)
    transfer: Transfer | None = None
    clearance: Clearance = field(default_factory=Clearance)

    @property
    def exists(self) -> bool:
        return self.case_id is not None

    @property
    def doj(self) -> DojCommitment | None:
        """The first federal commitment, else the first recorded."""
        recorded = list(self.commitments.values())
        return next((c for c in recorded if c.prosecuting_authority == "federal"),
                    next(iter(recorded), None))

    @property
    def national_security(self) -> bool:
        return self.legal_basis == NATIONAL_SECURITY


initial = AssuranceCase


def evolve(state: AssuranceCase, event: RecordedEvent) -> AssuranceCase:
    # Stored events of an older schema version are read as the current one, also by folds
    # that don't go through the repository (audit, replay); a no-op for current events.
    event = discovered().upcast_recorded(event)
    return FOLD.apply(state, event.event_type, event.payload)


def _opened(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.CaseOpened)
    return replace(state, case_id=e.case_id, legal_basis=e.legal_basis,
                   opened_at=e.submitted_at)


def _basis_changed(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.BasisChanged)
    since = e.changed_on if e.to_basis == NATIONAL_SECURITY else None
    return replace(state, legal_basis=e.to_basis, national_security_since=since)


def _identified(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.CapitalChargeIdentified)
    # The request's own counts were charged before Runway heard of them; a count an
    # amendment makes capital (or re-charges) exists in law from the amendment on.
    original = e.source == "request_submitted" and e.generation == 1
    charge = CapitalCharge(e.charge_id, e.statute, e.death_penalty_law, e.generation,
                           since=None if original else legal_date(e.identified_at))
    return _bind_as_dated(replace(
        state, capital={**state.capital, e.charge_id: charge},
        generations={**state.generations, e.charge_id: e.generation},
        history={**state.history, charge.cover: charge}))


def _charge_withdrawn(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.CapitalChargeWithdrawn)
    history = dict(state.history)
    current = state.capital.get(e.charge_id)
    if current is not None and current.cover in history:
        history[current.cover] = replace(history[current.cover],
                                         until=legal_date(e.withdrawn_at))
    return _bind_as_dated(replace(
        state, capital={k: v for k, v in state.capital.items() if k != e.charge_id},
        history=history))


def _bind_as_dated(state: AssuranceCase) -> AssuranceCase:
    """Bind each instrument recorded as dated to the generations of the counts it names that
    were in force on its own date. Recomputed whenever a generation starts or ends, so an
    amendment consumed after the instrument (topics are not ordered with each other) binds
    the same as one consumed before it."""
    assurances = {k: replace(a, covers=in_force(state, a.charge_ids, a.issued_on))
                  if a.as_dated else a for k, a in state.assurances.items()}
    commitments = {k: replace(c, covers=in_force(state, c.charge_ids, c.committed_on))
                   if c.as_dated and c.charge_ids is not None else c
                   for k, c in state.commitments.items()}
    return replace(state, assurances=assurances, commitments=commitments)


def in_force(state: AssuranceCase, charge_ids: tuple[str, ...], day: date) -> frozenset[Cover]:
    """Per count named, the generation in force on `day`; for a count that was not capital
    that day, the next generation to come: Runway dates an amendment by when intake entered
    it, so a note for a new count is often dated before that entry, and it was given for it.
    A count with neither was never capital from `day` on: an instrument of that date names it
    in vain (domain refuses it)."""
    covers: set[Cover] = set()
    for charge_id in charge_ids:
        mine = sorted((g for g in state.history.values() if g.charge_id == charge_id),
                      key=lambda g: g.generation)
        now = [g.cover for g in mine if g.in_force_on(day)]
        after = [g.cover for g in mine if g.since is not None and g.since > day]
        covers.update(now or after[:1])
    return frozenset(covers)


def _covers(state: AssuranceCase, charge_ids: tuple[str, ...]) -> frozenset[Cover]:
    return frozenset(state.capital[c].cover for c in charge_ids if c in state.capital)


def _requested(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.AssuranceRequested)
    request = AssuranceRequest(e.charge_ids, e.requested_on, e.note,
                               _covers(state, e.charge_ids), state.seq)
    return replace(state, requests=(*state.requests, request))


def _received(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.AssuranceReceived)
    # Before `charges_as_dated`, an assurance covered the generations current when recorded.
    assurance = Assurance(e.assurance_id, e.scope, e.diplomatic_note, e.charge_ids,
                          _covers(state, e.charge_ids), e.scope_sufficient,
                          as_dated=e.charges_as_dated)
    return _bind_as_dated(replace(state, assurances={**state.assurances,
                                                     e.assurance_id: assurance}))


def _with_assurance(state: AssuranceCase, assurance_id: str, **changes: Any) -> AssuranceCase:
    updated = replace(state.assurances[assurance_id], **changes)
    return replace(state, assurances={**state.assurances, assurance_id: updated})


def _accepted(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.AssuranceAccepted)
    return _with_assurance(state, e.assurance_id, status="accepted", decided_on=e.decided_on,
                           decision_reason=e.reason, decided_seq=state.seq,
                           accepted_on=e.decided_on)


def _rejected(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.AssuranceRejected)
    return _with_assurance(state, e.assurance_id, status="rejected", decided_on=e.decided_on,
                           decision_reason=e.reason, decided_seq=state.seq)


def _assurance_withdrawn(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.AssuranceWithdrawn)
    return _with_assurance(state, e.assurance_id, status="withdrawn",
                           withdrawn_on=e.withdrawn_on, withdrawal_reason=e.reason,
                           withdrawn_seq=state.seq)


def _doj(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.DojCommitmentRecorded)
    commitment = DojCommitment(e.reference, e.committed_on, e.authority, e.scope, e.charge_ids,
                               e.prosecuting_authority, e.seeks_death,
                               e.recorded_after_the_fact, as_dated=e.charges_as_dated)
    key = (e.reference, e.prosecuting_authority)
    return _bind_as_dated(replace(state, commitments={**state.commitments, key: commitment}))


def _granted(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.ClearanceGranted)
    return replace(state, clearance=Clearance(
        cleared=True, since=e.cleared_since, basis=e.basis, exception=e.exception,
        charge_ids=e.charge_ids, assurance_ids=e.assurance_ids,
        doj_commitment_reference=e.doj_commitment_reference))


def _clearance_withdrawn(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.ClearanceWithdrawn)
    return replace(state, clearance=Clearance(withdrawn_at=e.withdrawn_at,
                                              withdrawal_reason=e.reason))


def _transfer(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.TransferNoted)
    return replace(state, transfer=Transfer(
        e.transferred_at, e.transfer_legal_date, e.cleared_at_transfer,
        recorded_after_the_fact=e.recorded_after_the_fact))


def _noted_transfer_changed(state: AssuranceCase, **changes: Any) -> AssuranceCase:
    """The case with its noted transfer changed; a flag event with no transfer noted (never
    written by this service) changes nothing."""
    if state.transfer is None:
        return state
    return replace(state, transfer=replace(state.transfer, **changes))


def _flagged(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.TransferWithoutClearanceFlagged)
    # A flag says the transfer was not cleared in law (also one found cleared when noted,
    # re-judged on an act dated before it but recorded after).
    return _noted_transfer_changed(state, cleared_at_transfer=False, flagged=True,
                                   flag_reason=e.reason, clearance_on=e.clearance_legal_date)


def _lifted(state: AssuranceCase, e: BaseModel) -> AssuranceCase:
    assert isinstance(e, ev.TransferFlagLifted)
    # No flag stands, so no compared date either (the event names it, for auditors).
    return _noted_transfer_changed(state, cleared_at_transfer=True, flagged=False,
                                   flag_reason=None, clearance_on=None)


_APPLIERS = {
    ev.CASE_OPENED: _opened,
    ev.BASIS_CHANGED: _basis_changed,
    ev.CAPITAL_CHARGE_IDENTIFIED: _identified,
    ev.CAPITAL_CHARGE_WITHDRAWN: _charge_withdrawn,
    ev.ASSURANCE_REQUESTED: _requested,
    ev.ASSURANCE_RECEIVED: _received,
    ev.ASSURANCE_ACCEPTED: _accepted,
    ev.ASSURANCE_REJECTED: _rejected,
    ev.ASSURANCE_WITHDRAWN: _assurance_withdrawn,
    ev.DOJ_COMMITMENT_RECORDED: _doj,
    ev.CLEARANCE_GRANTED: _granted,
    ev.CLEARANCE_WITHDRAWN: _clearance_withdrawn,
    ev.TRANSFER_NOTED: _transfer,
    ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED: _flagged,
    ev.TRANSFER_FLAG_LIFTED: _lifted,
}

# The state after one event; unknown event types only advance the sequence.
FOLD: EventTable[AssuranceCase] = EventTable(ev.EVENT_MODELS, _APPLIERS)
apply = FOLD.apply
