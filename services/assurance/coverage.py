"""Pure questions about a case's state: what is covered, and what clearance it deserves.

The one rule (treaty art. 8, product rule 1): a case is cleared exactly when every
capital-eligible charge is covered by an accepted assurance, or the case is on the
national-security basis with a recorded DOJ commitment, or it has no capital charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import ClearanceBasis, ClearanceException
from .state import AssuranceCase, CapitalCharge, Cover


def accepted_covers(state: AssuranceCase) -> frozenset[Cover]:
    covers: set[Cover] = set()
    for assurance in state.assurances.values():
        if assurance.status == "accepted":
            covers |= assurance.covers
    return frozenset(covers)


def covered_by_assurance(state: AssuranceCase, charge: CapitalCharge) -> bool:
    return charge.cover in accepted_covers(state)


def doj_covers(state: AssuranceCase) -> bool:
    """On the national-security basis a DOJ commitment covers every capital charge."""
    return state.national_security and state.doj is not None


def uncovered_charges(state: AssuranceCase) -> tuple[str, ...]:
    """The capital charges that keep the case from being cleared, in charge order."""
    if doj_covers(state):
        return ()
    covers = accepted_covers(state)
    return tuple(c.charge_id for c in state.capital.values() if c.cover not in covers)


def relied_on_assurances(state: AssuranceCase) -> tuple[str, ...]:
    current = {c.cover for c in state.capital.values()}
    return tuple(a.assurance_id for a in state.assurances.values()
                 if a.status == "accepted" and a.covers & current)


def clearance_basis(state: AssuranceCase) -> ClearanceBasis | None:
    """Why the case may be cleared now, or None when it may not."""
    if not state.capital:
        return ClearanceBasis.NO_CAPITAL_CHARGES
    covers = accepted_covers(state)
    if all(c.cover in covers for c in state.capital.values()):
        return ClearanceBasis.ASSURANCES_ACCEPTED
    if doj_covers(state):
        return ClearanceBasis.DOJ_COMMITMENT
    return None


def clearance_exception(state: AssuranceCase,
                        basis: ClearanceBasis) -> ClearanceException | None:
    """A clearance that did not exist when the person left Mexico must say so."""
    if state.transfer is None:
        return None
    if basis is ClearanceBasis.DOJ_COMMITMENT and state.doj and state.doj.after_transfer:
        return ClearanceException.COMMITMENT_AFTER_TRANSFER
    if not state.transfer.cleared_at_transfer:
        return ClearanceException.GRANTED_AFTER_TRANSFER
    return None


@dataclass(frozen=True)
class Target:
    """The clearance the case deserves now (compared with the recorded one)."""

    basis: ClearanceBasis
    exception: ClearanceException | None
    charge_ids: tuple[str, ...]
    assurance_ids: tuple[str, ...]
    doj_commitment_reference: str | None


def target_clearance(state: AssuranceCase) -> Target | None:
    basis = clearance_basis(state)
    if basis is None:
        return None
    doj_reference = state.doj.reference if doj_covers(state) and state.doj else None
    return Target(basis, clearance_exception(state, basis), tuple(state.capital),
                  relied_on_assurances(state), doj_reference)


def matches(state: AssuranceCase, target: Target) -> bool:
    recorded = state.clearance
    return recorded.cleared and (
        recorded.basis, recorded.exception, recorded.charge_ids, recorded.assurance_ids,
        recorded.doj_commitment_reference,
    ) == (target.basis, target.exception, target.charge_ids, target.assurance_ids,
          target.doj_commitment_reference)


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
