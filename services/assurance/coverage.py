"""Pure questions about a case's state: what is covered, and what clearance it deserves.

The one rule (treaty art. 8, product rule 1): a case is cleared exactly when every
capital-eligible charge is covered by an accepted assurance, or (national-security basis) by
a DOJ commitment whose scope covers it, or it has no capital charge.

A DOJ commitment covers a count only as far as its scope says (domain brief, corrections): it
must name the count (or every count), must not seek death, and must come from the count's
prosecuting authority: a count under a state's law needs that state's own commitment. Which
authority prosecutes a count is read from its statute: a count citing the U.S. Code is
federal, any other a state's [U: intake does not carry the prosecuting authority per count].

Time: clearance is dated in law. `cleared_since` is the legal instant of the act the coverage
rests on (the acceptance's date, the commitment's date), never when Runway recorded it, and a
transfer is judged by comparing legal dates (shared.legaltime.legal_date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shared.legaltime import legal_date, start_of_legal_day

from .events import ClearanceBasis, ClearanceException
from .state import AssuranceCase, CapitalCharge, Cover, DojCommitment

FEDERAL = "federal"


def accepted_covers(state: AssuranceCase) -> frozenset[Cover]:
    covers: set[Cover] = set()
    for assurance in state.assurances.values():
        if assurance.status == "accepted":
            covers |= assurance.covers
    return frozenset(covers)


def covered_by_assurance(state: AssuranceCase, charge: CapitalCharge) -> bool:
    return charge.cover in accepted_covers(state)


def federal(charge: CapitalCharge) -> bool:
    """A count citing the U.S. Code is prosecuted federally; any other by a state [U]."""
    return "U.S.C." in charge.statute or "U.S.C." in (charge.death_penalty_law or "")


def commitment_covers(commitment: DojCommitment, charge: CapitalCharge) -> bool:
    """Whether the commitment's scope covers the count: it names it (or every count), does
    not seek death, and binds the count's prosecuting authority."""
    if commitment.seeks_death:
        return False
    if commitment.charge_ids is not None and charge.charge_id not in commitment.charge_ids:
        return False
    return federal(charge) == (commitment.prosecuting_authority == FEDERAL)


def doj_covering(state: AssuranceCase, charge: CapitalCharge) -> DojCommitment | None:
    """The DOJ (or state) commitment covering the count, on the national-security basis."""
    if not state.national_security:
        return None
    return next((c for c in state.commitments.values() if commitment_covers(c, charge)), None)


def doj_covers(state: AssuranceCase) -> bool:
    """On the national-security basis: every capital count is covered by a commitment (and
    there is one at all)."""
    return (state.national_security and bool(state.commitments)
            and all(doj_covering(state, c) is not None for c in state.capital.values()))


def uncovered_charges(state: AssuranceCase) -> tuple[str, ...]:
    """The capital charges that keep the case from being cleared, in charge order: covered
    neither by an accepted assurance nor by a commitment whose scope covers them."""
    covers = accepted_covers(state)
    return tuple(c.charge_id for c in state.capital.values()
                 if c.cover not in covers and doj_covering(state, c) is None)


def relied_on_assurances(state: AssuranceCase) -> tuple[str, ...]:
    current = {c.cover for c in state.capital.values()}
    return tuple(a.assurance_id for a in state.assurances.values()
                 if a.status == "accepted" and a.covers & current)


def clearance_basis(state: AssuranceCase) -> ClearanceBasis | None:
    """Why the case may be cleared now, or None when it may not."""
    if not state.capital:
        return ClearanceBasis.NO_CAPITAL_CHARGES
    if uncovered_charges(state):
        return None
    covers = accepted_covers(state)
    if all(c.cover in covers for c in state.capital.values()):
        return ClearanceBasis.ASSURANCES_ACCEPTED
    return ClearanceBasis.DOJ_COMMITMENT


def _acceptance_day(state: AssuranceCase, charge: CapitalCharge) -> date | None:
    return min((a.decided_on for a in state.assurances.values()
                if a.status == "accepted" and a.decided_on is not None
                and charge.cover in a.covers), default=None)


def _covered_on(state: AssuranceCase, charge: CapitalCharge) -> date | None:
    """The legal date from which the count is covered: its earliest accepted assurance, or
    the commitment covering it, whichever came first."""
    doj = doj_covering(state, charge)
    days = [d for d in (_acceptance_day(state, charge), doj and doj.committed_on) if d]
    return min(days, default=None)


def clearable_since(state: AssuranceCase) -> datetime | None:
    """The legal instant the current coverage holds from: the latest of the dates from
    which each capital count is covered. None with no capital count (the cause's time then)
    or while one is uncovered."""
    days = [_covered_on(state, c) for c in state.capital.values()]
    if not days or any(d is None for d in days):
        return None
    return start_of_legal_day(max(d for d in days if d is not None))


def cleared_since(state: AssuranceCase, at: datetime) -> datetime:
    """The start of the uninterrupted clearance, in legal time: the coverage's own date (or
    `at`, the legal time of the act that cleared a case with no capital count), kept earlier
    while the recorded clearance has not been interrupted."""
    fresh = clearable_since(state) or at
    recorded = state.clearance
    if recorded.cleared and recorded.since is not None:
        return min(recorded.since, fresh)
    return fresh


def needed_clearance(state: AssuranceCase) -> bool:
    """Whether the case ever had a capital count: one that never did needed nothing cleared,
    so its transfer is never flagged."""
    return bool(state.generations)


@dataclass(frozen=True)
class Finding:
    """What the custody transfer's legal date, compared with the clearance's, says."""

    rule: str  # rules.NOT_CLEARED or rules.CLEARED_AFTER_TRANSFER
    transfer_on: date
    clearance_on: date | None


def transfer_finding(state: AssuranceCase, since: datetime | None,
                     not_cleared: str, cleared_after: str) -> Finding | None:
    """The flag the transfer deserves, given the clearance's start `since` (None: not
    cleared now). Only legal dates are compared: a handoff at 23:30 local time is that day.
    A transfer once found cleared in time stays so: a later withdrawal does not reach back."""
    transfer = state.transfer
    if transfer is None or transfer.cleared_at_transfer or not needed_clearance(state):
        return None
    if since is None:
        return Finding(not_cleared, transfer.transfer_on, None)
    cleared_on = legal_date(since)
    if cleared_on > transfer.transfer_on:
        return Finding(cleared_after, transfer.transfer_on, cleared_on)
    return None


def clearance_exception(state: AssuranceCase, basis: ClearanceBasis,
                        since: datetime) -> ClearanceException | None:
    """A clearance that did not exist in law when the person left Mexico must say so."""
    transfer = state.transfer
    if transfer is None or transfer.cleared_at_transfer or not needed_clearance(state):
        return None
    if legal_date(since) <= transfer.transfer_on:
        return None
    if basis is ClearanceBasis.DOJ_COMMITMENT:
        return ClearanceException.COMMITMENT_AFTER_TRANSFER
    return ClearanceException.GRANTED_AFTER_TRANSFER


def commitment_after_transfer(state: AssuranceCase, commitment: DojCommitment) -> bool:
    """The commitment's legal date is after the custody transfer's legal date."""
    return state.transfer is not None and commitment.committed_on > state.transfer.transfer_on


@dataclass(frozen=True)
class Target:
    """The clearance the case deserves now (compared with the recorded one)."""

    basis: ClearanceBasis
    exception: ClearanceException | None
    charge_ids: tuple[str, ...]
    assurance_ids: tuple[str, ...]
    doj_commitment_reference: str | None
    since: datetime


def target_clearance(state: AssuranceCase, at: datetime) -> Target | None:
    """The clearance deserved, `at` being the legal time of the act being recorded."""
    basis = clearance_basis(state)
    if basis is None:
        return None
    since = cleared_since(state, at)
    return Target(basis, clearance_exception(state, basis, since), tuple(state.capital),
                  relied_on_assurances(state), _relied_on_commitments(state, basis), since)


def _relied_on_commitments(state: AssuranceCase, basis: ClearanceBasis) -> str | None:
    if basis is not ClearanceBasis.DOJ_COMMITMENT:
        return None
    covering = {doj.reference for c in state.capital.values()
                if (doj := doj_covering(state, c)) is not None}
    return ", ".join(sorted(covering)) or None


def matches(state: AssuranceCase, target: Target) -> bool:
    recorded = state.clearance
    return recorded.cleared and (
        recorded.basis, recorded.exception, recorded.charge_ids, recorded.assurance_ids,
        recorded.doj_commitment_reference, recorded.since,
    ) == (target.basis, target.exception, target.charge_ids, target.assurance_ids,
          target.doj_commitment_reference, target.since)


def charge_status(state: AssuranceCase, charge: CapitalCharge) -> str:
    """uncovered | requested | received | accepted | rejected, for this charge generation.

    A request made after the last rejection shows as "requested" again: the officers are
    waiting for a new assurance.
    """
    mine = [a for a in state.assurances.values() if charge.cover in a.covers]
    if any(a.status == "accepted" for a in mine):
        return "accepted"
    if any(a.status == "received" for a in mine):
        return "received"
    last_rejection = max((a.decided_seq or 0 for a in mine if a.status == "rejected"),
                         default=None)
    last_request = max((r.seq for r in state.requests if charge.cover in r.covers),
                       default=None)
    if last_request is not None and (last_rejection is None or last_request > last_rejection):
        return "requested"
    return "rejected" if last_rejection is not None else "uncovered"
