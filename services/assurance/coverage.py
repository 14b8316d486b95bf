"""Pure questions about a case's state: what is covered, and what clearance it deserves.

The one rule (treaty art. 8, product rule 1): a case is cleared exactly when every
capital-eligible charge is covered by an accepted assurance, or (national-security basis) by
a DOJ commitment whose scope covers it, or it has no capital charge.

A DOJ commitment covers a count only as far as its scope says (domain brief, corrections): it
must name the count (or every count), must not seek death, and must come from the count's
prosecuting authority: a count under a state's law needs that state's own commitment. Which
authority prosecutes a count is read from its statute: a count citing the U.S. Code is
federal, one whose statute begins with a state's name or citation form ("Cal. Penal Code") is
that state's, and one that names neither is covered by no state's commitment [U: intake does
not carry the prosecuting authority per count].

Time: clearance is dated in law. Each generation of a capital count is in force over legal
days, each instrument covers over legal days (an acceptance until its withdrawal, a commitment
from its date on, or from the basis change that made it the case's instrument), so whether
the case was cleared can be asked of any legal date (`cleared_on`). `cleared_since` is the
first day of the uninterrupted clearance that holds now, and a transfer is judged on the
counts charged on the transfer's legal date (shared.legaltime.legal_date), re-judged both
ways whenever an act dated before it is recorded after it. Never when Runway recorded an act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared import citations
from shared.legaltime import legal_date, start_of_legal_day

from . import authorities
from .authorities import FEDERAL as FEDERAL  # re-exported: the domain's and rules' name
from .events import ClearanceBasis, ClearanceException
from .state import Assurance, AssuranceCase, CapitalCharge, Cover, DojCommitment

# The start of a clearance that held on every legal day before: no capital count was ever in
# force uncovered, so the clearance dates from the case's own start.
ALWAYS = date.min


def accepted_covers(state: AssuranceCase) -> frozenset[Cover]:
    covers: set[Cover] = set()
    for assurance in state.assurances.values():
        if assurance.status == "accepted":
            covers |= assurance.covers
    return frozenset(covers)


def covered_by_assurance(state: AssuranceCase, charge: CapitalCharge) -> bool:
    return charge.cover in accepted_covers(state)


def federal(charge: CapitalCharge) -> bool:
    """A count citing the U.S. Code (however dotted: 18 U.S.C. § 1114, 18 USC 1114) is
    prosecuted federally; any other by a state [U]."""
    return citations.cites_us_code(charge.statute) or citations.cites_us_code(
        charge.death_penalty_law or "")


def prosecutor(charge: CapitalCharge) -> str | None:
    """Which prosecution brings the count: `federal` for the U.S. Code, else the state its
    statute (or its death-penalty law) cites; None when it cites none we know [U]."""
    if federal(charge):
        return FEDERAL
    return authorities.state_citing(charge.statute) or (
        authorities.state_citing(charge.death_penalty_law) if charge.death_penalty_law
        else None)


def speaks_to(commitment: DojCommitment, charge: CapitalCharge) -> bool:
    """Whether the commitment is its prosecution's word on the count: it names it (or every
    count) as charged when it was given, and binds the count's prosecuting authority."""
    if commitment.charge_ids is not None and charge.charge_id not in commitment.charge_ids:
        return False
    # A named count re-charged after the commitment is a new capital count it was not given
    # for (the commitment's scope must cover every capital-eligible count). Seeking death is
    # the prosecution's word on the count whatever it is charged as since: never narrowed.
    if (commitment.covers is not None and not commitment.seeks_death
            and charge.cover not in commitment.covers):
        return False
    # A state prosecution needs that state's own commitment (domain brief, corrections).
    return prosecutor(charge) == commitment.prosecuting_authority


def commitment_covers(commitment: DojCommitment, charge: CapitalCharge) -> bool:
    """Whether the commitment's scope covers the count: it speaks to it and does not seek
    death (a later one of the same prosecution may still end that cover: commitment_spans)."""
    return not commitment.seeks_death and speaks_to(commitment, charge)


def commitment_spans(state: AssuranceCase,
                     charge: CapitalCharge) -> list[tuple[DojCommitment, date | None]]:
    """Each commitment covering the count, with the legal day its cover ends (None: it still
    covers). The prosecution's words on the count are read in the order of their dates (the
    order recorded on the same day): one that does not seek death covers from its date until
    a later one that seeks death, which ends it from that one's date."""
    if not state.national_security:
        return []
    words = sorted((c for c in state.commitments.values() if speaks_to(c, charge)),
                   key=lambda c: c.committed_on)
    return [(c, next((later.committed_on for later in words[i + 1:] if later.seeks_death),
                     None))
            for i, c in enumerate(words) if not c.seeks_death]


def commitments_covering(state: AssuranceCase,
                         charge: CapitalCharge) -> tuple[DojCommitment, ...]:
    """The DOJ (or state) commitments covering the count now, on the national-security
    basis."""
    return tuple(c for c, end in commitment_spans(state, charge) if end is None)


def doj_covering(state: AssuranceCase, charge: CapitalCharge) -> DojCommitment | None:
    """The first commitment covering the count, on the national-security basis."""
    return next(iter(commitments_covering(state, charge)), None)


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


# --- coverage over legal days -------------------------------------------------------------

Span = tuple[date, date | None]  # legal days [first, end), end None: still


def commitment_start(state: AssuranceCase, commitment: DojCommitment) -> date:
    """The first legal day a commitment covers: its date, or the day the case came on the
    national-security basis when that is later. Before it the case was a treaty case, which
    only an accepted assurance clears (brief rule 1): the DOJ often commits before Mexico
    decides the basis, and its commitment does not reach back over those days."""
    since = state.national_security_since
    return commitment.committed_on if since is None else max(commitment.committed_on, since)


def _spans(state: AssuranceCase, charge: CapitalCharge) -> list[Span]:
    """The legal days each instrument covered this generation: an accepted assurance from its
    acceptance until its withdrawal (a withdrawal says it covers nothing from its date on),
    a commitment from its start (commitment_start) until its prosecution seeks death after
    all (a cover ended before it started covered no day)."""
    spans: list[Span] = [(a.accepted_on, a.withdrawn_on) for a in state.assurances.values()
                         if a.accepted_on is not None and charge.cover in a.covers]
    for commitment, end in commitment_spans(state, charge):
        start = commitment_start(state, commitment)
        if end is None or start < end:
            spans.append((start, end))
    return spans


def _covered_on(state: AssuranceCase, charge: CapitalCharge, day: date) -> bool:
    return any(first <= day and (end is None or day < end)
               for first, end in _spans(state, charge))


def cleared_on(state: AssuranceCase, day: date) -> bool:
    """Whether the case was cleared in law on this legal date: every capital count in force
    that day was covered that day (a day with none in force needs nothing)."""
    return all(_covered_on(state, g, day) for g in state.history.values()
               if g.in_force_on(day))


def _turns(state: AssuranceCase, generation: CapitalCharge) -> set[date]:
    """The legal days on which this generation's coverage can change: it starts or ends, or
    an instrument's cover of it does."""
    days = {d for d in (generation.since, generation.until) if d is not None}
    return days | {d for span in _spans(state, generation) for d in span if d is not None}


def _turning_days(state: AssuranceCase) -> list[date]:
    """The legal days on which coverage can change, ascending: between two of them the case
    is cleared on every day or on none."""
    return sorted(set().union(*(_turns(state, g) for g in state.history.values())))


def cleared_from(state: AssuranceCase, day: date | None = None) -> date | None:
    """The first legal day of the uninterrupted clearance that holds on `day` (None: now, i.e.
    after every act's date); ALWAYS when it held on every day before; None when the case was
    not cleared that day."""
    turning = [d for d in _turning_days(state) if day is None or d <= day]
    probe = day if day is not None else (turning[-1] if turning else date.max)
    if not cleared_on(state, probe):
        return None
    start = probe
    for turn in reversed(turning):
        if not cleared_on(state, turn):
            return start
        start = turn
    before = turning[0] - timedelta(days=1) if turning and turning[0] > date.min else None
    return ALWAYS if before is None or cleared_on(state, before) else start


def cleared_since(state: AssuranceCase) -> datetime:
    """The start of the uninterrupted clearance, in legal time: the first day from which every
    capital count in force was covered without a gap. When that holds on every day (no capital
    count was ever in force uncovered), the case's own legal start: never the recorded
    clearance or the act being recorded, which depend on the order the acts were typed in."""
    start = cleared_from(state)
    if start is not None and start != ALWAYS:
        return start_of_legal_day(start)
    opened = state.opened_at
    assert opened is not None, "only an opened case is cleared"
    return opened


@dataclass(frozen=True)
class Finding:
    """What the custody transfer's legal date, compared with the clearance's, says."""

    rule: str  # rules.NOT_CLEARED or rules.CLEARED_AFTER_TRANSFER
    transfer_on: date
    clearance_on: date | None
    uncovered_charge_ids: tuple[str, ...]  # the counts in force on transfer_on, uncovered


def transfer_finding(state: AssuranceCase, not_cleared: str,
                     cleared_after: str) -> Finding | None:
    """The flag the transfer deserves, judged on the charge generations in force on its legal
    date (a handoff at 23:30 local time is that day): none when each was covered that day;
    else cleared after it from the first later day on which each uncovered one was covered
    (or had ended after being covered); else not cleared. Judged on the acts' dates whatever
    order they were recorded in, so an act dated before the transfer but recorded after it
    may set a flag as well as lift one; a count charged, an assurance withdrawn or a count
    dropped after the transfer does not reach back (README, "Legal time")."""
    transfer = state.transfer
    if transfer is None:
        return None
    day = transfer.transfer_on
    uncovered = [g for g in state.history.values()
                 if g.in_force_on(day) and not _covered_on(state, g, day)]
    if not uncovered:
        return None
    charge_ids = tuple(dict.fromkeys(g.charge_id for g in uncovered))
    cleared = _first_covered_after(state, uncovered, day)
    if cleared is None:
        return Finding(not_cleared, day, None, charge_ids)
    return Finding(cleared_after, day, cleared, charge_ids)


def _first_covered_after(state: AssuranceCase, generations: list[CapitalCharge],
                         day: date) -> date | None:
    """The first legal day after `day` on which each of these generations was covered, or
    had ended after being covered since `day`; None while one is uncovered or ended so. Only
    these generations count: a count charged later is not the transfer's."""
    turns = sorted({d for g in generations for d in _turns(state, g) if d > day})
    return next((d for d in turns
                 if all(_settled(state, g, day, d) for g in generations)), None)


def _settled(state: AssuranceCase, generation: CapitalCharge, transfer_on: date,
             day: date) -> bool:
    """The generation, in force and uncovered on `transfer_on`, is covered on `day`, or ended
    by then having been covered on some day in between (a cover given after it ended covered
    nothing: the count was no longer charged)."""
    if generation.in_force_on(day):
        return _covered_on(state, generation, day)
    end = generation.until
    return end is not None and end <= day and any(
        max(first, transfer_on) < min(last or date.max, end)
        for first, last in _spans(state, generation))


def clearance_on_day(state: AssuranceCase, day: date) -> date:
    """The legal date of the clearance that held on `day` (the day itself when no capital
    count was ever in force uncovered before it); `day` must be a cleared day."""
    start = cleared_from(state, day)
    return day if start is None or start == ALWAYS else start


def clearance_exception(state: AssuranceCase, basis: ClearanceBasis,
                        since: datetime) -> ClearanceException | None:
    """A clearance that did not exist in law when the person left Mexico must say so."""
    transfer = state.transfer
    if transfer is None or cleared_on(state, transfer.transfer_on):
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


def target_clearance(state: AssuranceCase) -> Target | None:
    """The clearance the legal facts deserve now (None: the case may not be cleared)."""
    basis = clearance_basis(state)
    if basis is None:
        return None
    since = cleared_since(state)
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
    """accepted | doj_commitment | received | requested | rejected | withdrawn | uncovered,
    for this charge generation.

    A covered count names what covers it (as the view's `covered_by` does), so the two never
    disagree. Otherwise a request made after the last assurance ended (rejected or withdrawn)
    shows as "requested" again: the officers are waiting for a new assurance; with none
    since, the count shows how its last assurance ended.
    """
    if covered_by_assurance(state, charge):
        return "accepted"
    if doj_covering(state, charge) is not None:
        return "doj_commitment"
    mine = [a for a in state.assurances.values() if charge.cover in a.covers]
    if any(a.status == "received" for a in mine):
        return "received"
    ended = max(((_ended_seq(a), a.status) for a in mine
                 if a.status in ("rejected", "withdrawn")), default=None)
    last_request = max((r.seq for r in state.requests if charge.cover in r.covers),
                       default=None)
    if last_request is not None and (ended is None or last_request > ended[0]):
        return "requested"
    return ended[1] if ended is not None else "uncovered"


def _ended_seq(assurance: Assurance) -> int:
    """When the assurance stopped being a prospect: its withdrawal, else its rejection."""
    return assurance.withdrawn_seq or assurance.decided_seq or 0
