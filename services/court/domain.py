"""The court clerks' decisions: pure functions from (state, command, now, policy) to new events.

Steps go in order: the intake opens on landing; then the initial appearance (Rule 5), the
detention hearing, and arraignment (which also needs the docket number); the proceedings end
last. Arraignment is limited by the rule of specialty (see specialty.py). A command the state
forbids raises RuleViolation naming the rule and decides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared import citations
from shared.errors import NotFound
from shared.eventstore import NewEvent
from shared.legaltime import legal_date, start_of_legal_day
from shared.rules import Rule

from . import events as ev
from . import rules as R  # noqa: N812 (the rule book, as the rules are written: R.X)
from . import specialty
from .arrival import new_event
from .district_calendar import court_date
from .events import ChargeOrigin, ChargeText, Plea, SpecialtyException
from .specialty import Count, Onward
from .state import CourtCase, Intake, apply, evolve, initial, request_facts

__all__ = ["CourtCase", "Policy", "evolve", "initial", "preview"]

DETAINED = "detained"
RELEASED_ON_CONDITIONS = "released_on_conditions"


@dataclass(frozen=True)
class Policy:
    """Configuration the rules read (see settings.py)."""

    initial_appearance_limit_hours: float = 48.0
    return_to_mexico_due_days: int = 0


def preview(state: CourtCase, new_events: Sequence[NewEvent]) -> CourtCase:
    for event in new_events:
        state = apply(state, event.event_type, event.payload)
    return state


# --- guards -----------------------------------------------------------------------------

def _not_in_future(state: CourtCase, day: date, now: datetime, field: str) -> None:
    """An act of the US court or the US government: not after today in the court's district."""
    assert state.intake is not None
    _not_after(day, court_date(now, state.intake.district), field)


def _not_in_future_in_mexico(day: date, now: datetime, field: str) -> None:
    """An act of Mexico's (a diplomatic note): not after today on the legal calendar."""
    _not_after(day, legal_date(now), field)


def _not_after(day: date, today: date, field: str) -> None:
    R.DATE_IN_FUTURE.require(day <= today, f"{field} {day} is after today ({today})")


def _not_before(day: date, earlier: date | None, field: str, what: str) -> None:
    if earlier is not None:
        R.DATE_OUT_OF_ORDER.require(day >= earlier, f"{field} {day} is before {what} "
                                                    f"({earlier})")


def _open_intake(state: CourtCase) -> Intake:
    """The case has an open intake record and its proceedings are still running."""
    if not state.exists:
        raise NotFound("case", "(not known to the court)")
    R.INTAKE_NOT_OPENED.require(state.intake is not None,
        f"case {state.case_id} has no intake record: the person has not landed yet")
    R.PROCEEDINGS_ENDED.require(state.ended is None,
        f"the proceedings in case {state.case_id} ended on "
        f"{state.ended.ended_on if state.ended else ''}; nothing more can be recorded")
    assert state.intake is not None
    return state.intake


def _case_id(state: CourtCase) -> str:
    assert state.case_id is not None
    return state.case_id


# --- docket and Rule 5 ------------------------------------------------------------------

def assign_docket(state: CourtCase, docket_number: str, now: datetime) -> list[NewEvent]:
    intake = _open_intake(state)
    R.DOCKET_ALREADY_ASSIGNED.require(state.docket_number is None,
        f"docket number {state.docket_number} is already recorded")
    return [new_event(ev.DOCKET_ASSIGNED, ev.DocketAssigned(
        case_id=_case_id(state), docket_number=docket_number, district=intake.district,
        assigned_at=now), now)]


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def hold_initial_appearance(state: CourtCase, held_at: datetime, magistrate: str,
                            now: datetime, policy: Policy) -> list[NewEvent]:
    """Rule 5: before a magistrate "without unnecessary delay". Held more than the configured
    limit after landing, the appearance is recorded but flagged late with the hours."""
    intake = _open_intake(state)
    R.INITIAL_APPEARANCE_ALREADY_HELD.require(state.appearance is None,
        "the initial appearance was already held on "
        f"{state.appearance.held_at.isoformat() if state.appearance else ''}")
    R.DATE_IN_FUTURE.require(held_at <= now,
        f"held_at {held_at.isoformat()} is after now ({now.isoformat()})")
    R.DATE_OUT_OF_ORDER.require(held_at >= intake.landed_at,
        f"held_at {held_at.isoformat()} is before the landing "
        f"({intake.landed_at.isoformat()})")
    elapsed = hours_between(intake.landed_at, held_at)
    limit = policy.initial_appearance_limit_hours
    return [new_event(ev.INITIAL_APPEARANCE_HELD, ev.InitialAppearanceHeld(
        case_id=_case_id(state), held_at=held_at, magistrate=magistrate,
        district=intake.district, landed_at=intake.landed_at,
        # Rounded up: a late appearance never shows as held at the limit itself.
        hours_elapsed=math.ceil(elapsed * 100) / 100, limit_hours=limit, late=elapsed > limit),
        held_at)]


def decide_detention(state: CourtCase, outcome: str, decided_on: date, detail: str | None,
                     now: datetime) -> list[NewEvent]:
    """The detention hearing: detained, or released on conditions (`detail`)."""
    intake = _open_intake(state)
    appearance = state.appearance
    R.INITIAL_APPEARANCE_REQUIRED.require(appearance is not None,
        "the detention hearing follows the initial appearance, which has not been held")
    assert appearance is not None
    previous = state.detention
    R.DETENTION_ALREADY_DECIDED.require(previous is None,
        f"detention was already decided ({previous.outcome if previous else ''})")
    _not_in_future(state, decided_on, now, "decided_on")
    _not_before(decided_on, court_date(appearance.held_at, intake.district), "decided_on",
                "the initial appearance")
    if outcome == RELEASED_ON_CONDITIONS:
        R.RELEASE_CONDITIONS_REQUIRED.require(bool(detail),
            "a release on conditions must state the conditions")
        assert detail is not None
        return [new_event(ev.RELEASED_ON_CONDITIONS, ev.ReleasedOnConditions(
            case_id=_case_id(state), released_on=decided_on, conditions=detail),
            start_of_legal_day(decided_on))]
    return [new_event(ev.DETENTION_ORDERED, ev.DetentionOrdered(
        case_id=_case_id(state), ordered_on=decided_on, grounds=detail),
        start_of_legal_day(decided_on))]


# --- arraignment and specialty ----------------------------------------------------------

def arraign(state: CourtCase, arraigned_on: date, plea: Plea, charge_ids: Sequence[str],
            now: datetime) -> list[NewEvent]:
    intake = _open_intake(state)
    R.INITIAL_APPEARANCE_REQUIRED.require(state.appearance is not None,
        "arraignment follows the initial appearance, which has not been held")
    R.DETENTION_HEARING_REQUIRED.require(state.detention is not None,
        "arraignment follows the detention hearing, which has not been recorded")
    R.DOCKET_NOT_ASSIGNED.require(state.docket_number is not None,
        "arraignment needs the case's docket number, which has not been recorded")
    assert state.appearance is not None and state.detention is not None
    _not_in_future(state, arraigned_on, now, "arraigned_on")
    _not_before(arraigned_on, court_date(state.appearance.held_at, intake.district),
                "arraigned_on", "the initial appearance")
    _not_before(arraigned_on, state.detention.decided_on, "arraigned_on",
                "the detention hearing")
    wanted = tuple(dict.fromkeys(charge_ids))
    R.CHARGES_REQUIRED.require(bool(wanted), "name at least one charge to arraign on")
    _check_specialty(state, wanted)
    for charge_id in wanted:
        since, what = _prosecutable_since(state, charge_id)
        _not_before(arraigned_on, since, "arraigned_on", f"{what} ({charge_id})")
    again = [c for c in wanted if c in state.arraigned_charge_ids]
    R.CHARGE_ALREADY_ARRAIGNED.require(not again, f"already arraigned on {', '.join(again)}")
    assert state.docket_number is not None
    return [new_event(ev.ARRAIGNED, ev.Arraigned(
        case_id=_case_id(state), arraigned_on=arraigned_on, plea=plea, charge_ids=wanted,
        docket_number=state.docket_number), start_of_legal_day(arraigned_on))]


_BROUGHT = "the indictment that brought the count"


def _prosecutable_since(state: CourtCase, charge_id: str) -> tuple[date | None, str]:
    """The day from which the count could be tried, and the act that made it so: the
    indictment that brought it, or, when the rule of specialty held it back after that, the
    earliest of what lifts it now (the re-description on granted facts, Mexico's consent, a
    finding of an exception). The earliest, not the latest nor the one typed in last: an
    arraignment after the consent stays in order when a later indictment re-describes the
    count on granted facts."""
    filed = _charged_on(state, charge_id)
    if not specialty.applies(state):
        return filed, _BROUGHT
    lifts = _lifts(state, charge_id)
    if not lifts:
        return filed, _BROUGHT
    lifted_on, what = min(lifts, key=lambda lift: lift[0] or date.min)
    if lifted_on is None or (filed is not None and filed >= lifted_on):
        return filed, _BROUGHT
    return lifted_on, what


def _lifts(state: CourtCase, charge_id: str) -> list[tuple[date | None, str]]:
    """What lets the count be tried now, each with its day (None: since the request)."""
    lifts: list[tuple[date | None, str]] = []
    if specialty.facts_granted(state, charge_id):
        lifts.append((state.charges[charge_id].facts_since,
                      "the indictment that re-described the count"))
    consent = state.consents.get(charge_id)
    if consent is not None and consent.status == "granted" and consent.decided_on is not None:
        lifts.append((consent.decided_on, "Mexico's consent"))
    lifts += [(found.found_on, f"the finding of an exception ({found.exception.value})")
              for found in state.exceptions if found.lifts(charge_id)]
    return lifts


def _check_specialty(state: CourtCase, charge_ids: tuple[str, ...]) -> None:
    """Rule 5 of the product (treaty art. 17): tried only on granted, re-described, consented
    or excepted charges. The arraignment gate (rules.py) is asked per count, rule by rule in
    its order, so the refusal names every count the first failing rule holds back."""
    for rule in R.ARRAIGNMENT_GATE.rules:
        held = [c for c in charge_ids if rule.blocking(Count(state, c))]
        if held:
            rule.refuse(_refusal(rule, state, held))


def _refusal(rule: Rule[Count], state: CourtCase, held: list[str]) -> str:
    if rule is R.SPECIALTY_CONSENT_REQUIRED:
        counts = ", ".join(f"{c} ({specialty.charge_status(state, c)})" for c in held)
        return (f"{counts}: outside Mexico's grant, so the rule of specialty (treaty art. 17) "
                "blocks prosecution until Mexico's consent is recorded")
    if rule is R.SPECIALTY_CHARGE_NOT_GRANTED:
        granted = ", ".join(specialty.granted_charge_ids(state)) or "none"
        return (f"{', '.join(held)} is outside the charges Mexico granted extradition for "
                f"({granted}); under the rule of specialty (treaty art. 17) the person may be "
                "tried on it only with Mexico's consent"
                + ("" if all(c in state.charges for c in held)
                   else " (and it is not a charge of this case at all)"))
    return f"{', '.join(held)} is not a charge of case {state.case_id}"


def _facts(state: CourtCase, text: ChargeText, given: str | None) -> ev.CountText:
    """The count with the facts it rests on (treaty art. 17(2)), resolved on filing: the
    request facts of the charge it names (state.request_facts); a count restated under its
    statute keeps its own (the wording of the description may tighten); one restated under a
    new statute that names none rests on no charge's facts (a new offence, outside the grant
    until Mexico consents)."""
    known = state.charges.get(text.charge_id)
    if given is not None:
        R.FACTS_NOT_IN_CASE.require(
            given in state.charges, f"count {text.charge_id} names the facts of {given}, "
            f"which is not a charge of case {state.case_id}")
        facts: str | None = request_facts(state, given)
    elif known is not None and citations.same(known.statute, text.statute):
        facts = known.facts_of
    else:
        facts = None
    return ev.CountText(charge_id=text.charge_id, statute=text.statute,
                        description=text.description, facts_of=facts)


def file_superseding_indictment(state: CourtCase, filed_on: date,
                                charges: Sequence[ChargeText], now: datetime,
                                facts_of: Mapping[str, str] | None = None) -> list[NewEvent]:
    """A new indictment. On the treaty and simplified bases, its counts that Mexico's grant
    doesn't cover are flagged and blocked until Mexico consents; on the national-security
    basis they are recorded without a block, and the record says why. `facts_of` names, per
    count, the charge whose facts it re-describes (rules.SPECIALTY_SAME_FACTS)."""
    _open_intake(state)
    _not_in_future(state, filed_on, now, "filed_on")
    previous = state.indictments[-1].filed_on if state.indictments else None
    _not_before(filed_on, previous, "filed_on", "the previous superseding indictment")
    named = facts_of or {}
    counts = tuple(_facts(state, c, named.get(c.charge_id))
                   for c in {c.charge_id: c for c in charges}.values())
    R.CHARGES_REQUIRED.require(bool(counts), "a superseding indictment has counts")
    number = len(state.indictments) + 1
    binding = specialty.applies(state)
    lapsed = tuple(c.charge_id for c in counts
                   if _new_offence_of_asked_count(state, c, named.get(c.charge_id)))
    off_finding = tuple(c.charge_id for c in counts
                        if _off_its_finding(state, c, named.get(c.charge_id)))
    filed = new_event(ev.SUPERSEDING_INDICTMENT_FILED, ev.SupersedingIndictmentFiled(
        case_id=_case_id(state), indictment_number=number, filed_on=filed_on, charges=counts,
        added_charge_ids=tuple(c.charge_id for c in counts if c.charge_id not in state.charges),
        restated_charge_ids=tuple(c.charge_id for c in counts if c.charge_id in state.charges),
        specialty_block_applies=binding,
        specialty_note=None if binding else specialty.NATIONAL_SECURITY_NOTE,
        consents_lapsed=lapsed if binding else (),
        exceptions_lapsed=off_finding if binding else (), facts_resolved=True),
        start_of_legal_day(filed_on))
    if not binding:
        return [filed]
    after = preview(state, [filed])
    # A count whose consent or finding lapsed is flagged again: it is blocked anew.
    blocked = tuple(c.charge_id for c in counts if not specialty.prosecutable(after, c.charge_id)
                    and (c.charge_id not in state.flagged or c.charge_id in lapsed
                         or c.charge_id in off_finding))
    if not blocked:
        return [filed]
    return [filed, new_event(ev.SPECIALTY_VIOLATION_BLOCKED, ev.SpecialtyViolationBlocked(
        case_id=_case_id(state), charge_ids=blocked, indictment_number=number,
        filed_on=filed_on, granted_charge_ids=specialty.granted_charge_ids(state)),
        start_of_legal_day(filed_on))]


def _new_offence_of_asked_count(state: CourtCase, count: ev.CountText,
                                named: str | None) -> bool:
    """A count Mexico was asked about, restated under a new statute naming no facts: a new
    offence (as it is for a granted count), so the consent, asked or given, was for another."""
    known = state.charges.get(count.charge_id)
    return (known is not None and count.charge_id in state.consents
            and not citations.same(known.statute, count.statute) and named is None)


def _off_its_finding(state: CourtCase, count: ev.CountText, named: str | None) -> bool:
    """A count a finding of an offence committed after the extradition lifted, restated on
    other facts (it names another charge's) or as a new offence (a new statute naming none):
    the finding was about the offence as then charged, and a count on the request's facts was
    never committed after the extradition (rule offence_not_after_extradition). Restated
    under its statute, or naming its own facts, it is still the offence the court found."""
    if not specialty.lifted_by_own_finding(state, count.charge_id):
        return False
    if named is not None:
        return named != count.charge_id
    return not citations.same(state.charges[count.charge_id].statute, count.statute)


def request_consent(state: CourtCase, charge_ids: Sequence[str], requested_on: date,
                    diplomatic_note_reference: str | None, now: datetime) -> list[NewEvent]:
    """The US asks Mexico to consent to prosecution on charges outside the grant."""
    _open_intake(state)
    wanted = _case_charges(state, charge_ids)
    R.SPECIALTY_CONSENT_NOT_NEEDED.require(specialty.applies(state),
        "the case is on the national_security basis: the specialty defence is "
        "unavailable and no consent from Mexico is needed")
    covered = [c for c in wanted if specialty.prosecutable(state, c)]
    R.SPECIALTY_CONSENT_NOT_NEEDED.require(not covered,
        f"{', '.join(covered)} may already be prosecuted "
        f"({', '.join(specialty.charge_status(state, c) for c in covered)})")
    pending = [c for c in wanted if specialty.charge_status(state, c) ==
               specialty.CONSENT_REQUESTED]
    R.SPECIALTY_CONSENT_ALREADY_REQUESTED.require(not pending,
        f"Mexico's consent for {', '.join(pending)} was already requested and is pending")
    _not_in_future(state, requested_on, now, "requested_on")
    return [new_event(ev.SPECIALTY_CONSENT_REQUESTED, ev.SpecialtyConsentRequested(
        case_id=_case_id(state), charge_ids=wanted, requested_on=requested_on,
        diplomatic_note_reference=diplomatic_note_reference), start_of_legal_day(requested_on))]


def decide_consent(state: CourtCase, granted: bool, charge_ids: Sequence[str],
                   decided_on: date, diplomatic_note_reference: str,
                   now: datetime) -> list[NewEvent]:
    """Mexico's answer by diplomatic note; refused consent keeps the counts blocked."""
    _open_intake(state)
    wanted = _case_charges(state, charge_ids)
    # Asked of the consent itself: a count an exception lifted since the request still has
    # Mexico's answer to record.
    unasked = [c for c in wanted if c not in state.consents
               or state.consents[c].status != "requested"]
    R.SPECIALTY_CONSENT_NOT_REQUESTED.require(not unasked,
        f"no pending request for Mexico's consent on {', '.join(unasked)}")
    _not_in_future_in_mexico(decided_on, now, "decided_on")
    asked_on = max(state.consents[c].requested_on for c in wanted)
    _not_before(decided_on, asked_on, "decided_on", "the consent request")
    payload = ev.SpecialtyConsentDecided(
        case_id=_case_id(state), charge_ids=wanted, decided_on=decided_on,
        diplomatic_note_reference=diplomatic_note_reference)
    event_type = ev.SPECIALTY_CONSENT_GRANTED if granted else ev.SPECIALTY_CONSENT_REFUSED
    return [new_event(event_type, payload, start_of_legal_day(decided_on))]


def _case_charges(state: CourtCase, charge_ids: Sequence[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(charge_ids))
    R.CHARGES_REQUIRED.require(bool(wanted), "name at least one charge")
    strangers = [c for c in wanted if c not in state.charges]
    R.CHARGE_NOT_IN_CASE.require(not strangers,
        f"{', '.join(strangers)} is not a charge of case {state.case_id} "
        f"(charges: {', '.join(state.charges) or 'none'})")
    return wanted


# --- the end of the US proceedings (rule 7: temporary surrender) -------------------------

def end_proceedings(state: CourtCase, ended_on: date, outcome: str, now: datetime,
                    policy: Policy) -> list[NewEvent]:
    intake = _open_intake(state)
    _not_in_future(state, ended_on, now, "ended_on")
    _not_before(ended_on, court_date(intake.landed_at, intake.district), "ended_on", "the landing")
    if state.appearance is not None:
        _not_before(ended_on, court_date(state.appearance.held_at, intake.district), "ended_on",
                    "the initial appearance")
    if state.detention is not None:
        _not_before(ended_on, state.detention.decided_on, "ended_on", "the detention hearing")
    last_step = max((a.arraigned_on for a in state.arraignments), default=None)
    _not_before(ended_on, last_step, "ended_on", "the last arraignment")
    _not_before(ended_on, state.indictments[-1].filed_on if state.indictments else None,
                "ended_on", "the last superseding indictment")
    decided = [new_event(ev.PROCEEDINGS_ENDED, ev.ProceedingsEnded(
        case_id=_case_id(state), ended_on=ended_on, outcome=outcome,
        return_obligation=intake.return_obligation), start_of_legal_day(ended_on))]
    if intake.return_obligation:
        due_on = ended_on + timedelta(days=policy.return_to_mexico_due_days)
        decided.append(new_event(ev.RETURN_TO_MEXICO_DUE, ev.ReturnToMexicoDue(
            case_id=_case_id(state), due_on=due_on, conditions=intake.return_conditions,
            ended_on=ended_on, outcome=outcome), start_of_legal_day(ended_on)))
    return decided


# --- exceptions to specialty and onward extradition (treaty art. 17) ---------------------

def _landed(state: CourtCase) -> Intake:
    """The person landed (the record may outlive the proceedings: a person free to leave
    after them, or asked for by a third state, is still this case)."""
    if not state.exists:
        raise NotFound("case", "(not known to the court)")
    R.INTAKE_NOT_OPENED.require(state.intake is not None,
                                f"case {state.case_id} has no intake record: the person "
                                "has not landed yet")
    assert state.intake is not None
    return state.intake


@dataclass(frozen=True)
class ExceptionFacts:
    """What the court found, per exception (the other fields stay None)."""

    free_to_leave_on: date | None = None
    left_on: date | None = None
    returned_on: date | None = None
    committed_on: date | None = None
    charge_ids: tuple[str, ...] = ()


def _given(value: date | None, field: str, exception: SpecialtyException) -> date:
    R.SPECIALTY_EXCEPTION_DETAILS_REQUIRED.require(
        value is not None, f"{exception.value} needs {field}")
    assert value is not None
    return value


def _check_exception(state: CourtCase, exception: SpecialtyException, facts: ExceptionFacts,
                     found_on: date, landed_on: date) -> tuple[str, ...]:
    """The counts the exception lifts the bar on (none named: the whole case). Its dates are
    not after the finding (checked by the caller), so none is in the future."""
    for field, day in (("free_to_leave_on", facts.free_to_leave_on),
                       ("left_on", facts.left_on), ("returned_on", facts.returned_on),
                       ("committed_on", facts.committed_on)):
        if day is not None:
            _not_before(found_on, day, "found_on", field)
    if exception is SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE:
        _not_held_for_return(state)
        free = _given(facts.free_to_leave_on, "free_to_leave_on", exception)
        _not_before(free, landed_on, "free_to_leave_on", "the landing")
        _free_by_the_record(state, free)
        # The 60 days after the day the person became free run from the next day; the person
        # may still leave on the 60th, so the exception holds from the 61st.
        last_day = free + timedelta(days=60)
        R.SPECIALTY_EXCEPTION_TOO_EARLY.require(
            found_on > last_day,
            f"free to leave on {free}: the 60 days run until {last_day} inclusive; the "
            f"finding ({found_on}) can be dated from {last_day + timedelta(days=1)}")
        return ()
    if exception is SpecialtyException.LEFT_AND_RETURNED:
        left = _given(facts.left_on, "left_on", exception)
        back = _given(facts.returned_on, "returned_on", exception)
        _not_before(left, landed_on, "left_on", "the landing")
        _not_before(back, left, "returned_on", "leaving the US")
        _not_before(found_on, back, "found_on", "the return")
        return ()
    committed = _given(facts.committed_on, "committed_on", exception)
    counts = _case_charges(state, facts.charge_ids)
    requested = [c for c in counts if _described_before_the_extradition(state, c)]
    R.OFFENCE_NOT_AFTER_EXTRADITION.require(
        not requested, f"{', '.join(requested)} came with the extradition request or rests "
        "on the facts of a charge that did: an offence described before the extradition was "
        "not committed after it")
    R.OFFENCE_NOT_AFTER_EXTRADITION.require(
        committed > landed_on, f"committed_on {committed} is not after the landing's day in the "
        f"court's district ({landed_on})")
    for count in counts:  # an indictment charges an offence already committed
        charged = _charged_on(state, count)
        assert charged is not None  # a charge of the request was refused above
        _not_before(charged, committed, f"the indictment charging {count}",
                    "the offence's committed_on")
    return counts


def _described_before_the_extradition(state: CourtCase, charge_id: str) -> bool:
    """A charge of the request (or its amendments), or a count resting on the facts of one."""
    charge = state.charges[charge_id]
    rests_on = state.charges.get(charge.facts_of) if charge.facts_of is not None else None
    return charge.origin is not ChargeOrigin.SUPERSEDING or (
        rests_on is not None and rests_on.origin is not ChargeOrigin.SUPERSEDING)


def _charged_on(state: CourtCase, charge_id: str) -> date | None:
    """The filing day of the superseding indictment that brought the count (None: it came
    with the request)."""
    number = state.charges[charge_id].indictment
    return next((i.filed_on for i in state.indictments if i.number == number), None)


def _not_held_for_return(state: CourtCase) -> None:
    """A person lent by temporary surrender is held for return to Mexico when the US
    proceedings end (rule 7): never free to leave, so the 60 days of art. 17(1)(b) do not
    run. (Leaving and coming back, art. 17(1)(a), stays open: the return is a leaving.)"""
    assert state.intake is not None
    R.HELD_FOR_RETURN_TO_MEXICO.require(
        not state.intake.return_obligation,
        "the person was surrendered temporarily and is held for return to Mexico when the "
        "proceedings end, so was never free to leave; Mexico's consent is needed instead")


def _free_by_the_record(state: CourtCase, free: date) -> None:
    """Free to leave, by the record: not while held (ordered detained, the proceedings not
    ended), nor before the proceedings ended."""
    ended = state.ended.ended_on if state.ended is not None else None
    detained = state.detention is not None and state.detention.outcome == "detained"
    R.DATE_OUT_OF_ORDER.require(
        ended is not None or not detained,
        f"free_to_leave_on {free}: the person was ordered detained and the proceedings have "
        "not ended; record their end first")
    _not_before(free, ended, "free_to_leave_on", "the end of the proceedings")


def record_specialty_exception(state: CourtCase, exception: SpecialtyException,
                               facts: ExceptionFacts, found_on: date, reference: str,
                               now: datetime) -> list[NewEvent]:
    """The court found an exception of art. 17: it lifts the specialty bar on the whole case
    (stayed 60 days after being free to leave; left and came back) or on the counts named
    (offences committed after the extradition)."""
    intake = _landed(state)
    if not specialty.applies(state):
        R.SPECIALTY_DEFENCE_UNAVAILABLE.refuse(
            f"case {state.case_id} is on the national_security basis: the rule of specialty "
            "does not bind it, so no exception to it is needed")
    _not_in_future(state, found_on, now, "found_on")  # and, by _check_exception, every date given
    landed_on = court_date(intake.landed_at, intake.district)
    counts = _check_exception(state, exception, facts, found_on, landed_on)
    return [new_event(ev.SPECIALTY_EXCEPTION_RECORDED, ev.SpecialtyExceptionRecorded(
        case_id=_case_id(state), exception=exception, found_on=found_on, charge_ids=counts,
        free_to_leave_on=facts.free_to_leave_on, left_on=facts.left_on,
        returned_on=facts.returned_on, committed_on=facts.committed_on, landed_on=landed_on,
        reference=reference), start_of_legal_day(found_on))]


def request_reextradition(state: CourtCase, requesting_state: str, requested_on: date,
                          reference: str | None, now: datetime) -> list[NewEvent]:
    """A third state asked the US for the person."""
    _landed(state)
    R.REEXTRADITION_ALREADY_REQUESTED.require(
        requesting_state not in state.reextraditions,
        f"{requesting_state}'s request was already recorded")
    _not_in_future(state, requested_on, now, "requested_on")
    return [new_event(ev.REEXTRADITION_REQUESTED, ev.ReextraditionRequested(
        case_id=_case_id(state), requesting_state=requesting_state, requested_on=requested_on,
        reference=reference), start_of_legal_day(requested_on))]


def decide_reextradition_consent(state: CourtCase, requesting_state: str, granted: bool,
                                 decided_on: date, diplomatic_note_reference: str,
                                 now: datetime) -> list[NewEvent]:
    """Mexico's answer, by diplomatic note, on onward extradition to a third state."""
    _landed(state)
    request = state.reextraditions.get(requesting_state)
    R.REEXTRADITION_NOT_REQUESTED.require(
        request is not None, f"no request from {requesting_state} is recorded")
    assert request is not None
    R.REEXTRADITION_ALREADY_ANSWERED.require(
        request.consent == "pending", f"Mexico already answered {requesting_state}'s request "
        f"({request.consent} on {request.decided_on})")
    _not_in_future_in_mexico(decided_on, now, "decided_on")
    _not_before(decided_on, request.requested_on, "decided_on", "the third state's request")
    event_type = (ev.REEXTRADITION_CONSENT_GRANTED if granted
                  else ev.REEXTRADITION_CONSENT_REFUSED)
    return [new_event(event_type, ev.ReextraditionConsentDecided(
        case_id=_case_id(state), requesting_state=requesting_state, decided_on=decided_on,
        diplomatic_note_reference=diplomatic_note_reference), start_of_legal_day(decided_on))]


def surrender_onward(state: CourtCase, requesting_state: str, surrendered_on: date,
                     now: datetime) -> list[NewEvent]:
    """The US surrendered the person to a third state: only with Mexico's consent, unless
    the rule of specialty does not bind the case or an exception lifted it (art. 17(1)); once,
    and not before the person was in the US."""
    intake = _landed(state)
    R.ONWARD_SURRENDER_GATE.enforce(
        Onward(state, requesting_state),
        lambda rule: f"surrender to {requesting_state}: {_onward_refusal(state, rule)}")
    request = state.reextraditions[requesting_state]
    _not_in_future(state, surrendered_on, now, "surrendered_on")
    _not_before(surrendered_on, court_date(intake.landed_at, intake.district),
                "surrendered_on", "the landing")
    _not_before(surrendered_on, request.requested_on, "surrendered_on",
                "the third state's request")
    ground = _ground_on(state, requesting_state, surrendered_on)
    return [new_event(ev.ONWARD_SURRENDER_RECORDED, ev.OnwardSurrenderRecorded(
        case_id=_case_id(state), requesting_state=requesting_state,
        surrendered_on=surrendered_on, under=ground), start_of_legal_day(surrendered_on))]


def _onward_refusal(state: CourtCase, rule: Rule[Onward]) -> str:
    if rule is R.ONWARD_SURRENDER_ALREADY_RECORDED:
        gone = specialty.surrendered_on(state)
        assert gone is not None
        return f"the person was surrendered to {gone[0]} on {gone[1]}"
    return f"{rule.statement} ({rule.source})"


def _ground_on(state: CourtCase, requesting_state: str, surrendered_on: date) -> str:
    """What allowed the surrender on its day: the grounds in force then (Mexico's consent, a
    whole-case exception, no specialty at all), the first of them; a surrender dated before
    every ground is out of order, however they were typed in (a finding entered later does
    not hide the consent it followed)."""
    grounds = specialty.onward_surrender_grounds(state, requesting_state)
    in_force = [ground for ground, since in grounds if since is None or since <= surrendered_on]
    if not in_force:
        earliest = min(since for _, since in grounds if since is not None)
        _not_before(surrendered_on, earliest, "surrendered_on",
                    "Mexico's consent or the whole-case exception it rests on")
    return in_force[0]
