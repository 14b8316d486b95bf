"""The rule of specialty (treaty art. 17) as pure questions about a case's state.

On the treaty and simplified bases a person may be tried only on the charges Mexico's grant
covers, or on others Mexico has since consented to. On the national-security basis there is no
extradition grant: every charge of the case may be prosecuted, and the record says that the
specialty defence is unavailable (it is not hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .events import LegalBasis, TermsSource
from .state import CourtCase, Terms


@dataclass(frozen=True)
class Count:
    """One count of a case: what the specialty rules (rules.py) are judged over."""

    state: CourtCase
    charge_id: str


@dataclass(frozen=True)
class Onward:
    """A case and a third state asking for the person: what onward surrender is judged over."""

    state: CourtCase
    requesting_state: str

NATIONAL_SECURITY_NOTE = (
    "Transferred under Mexico's National Security Law, not extradited (Mexico's attorney "
    "general: 'not an extradition'). US courts have held the rule-of-specialty defence "
    "unavailable to a person brought to the US other than under an extradition treaty: "
    "United States v. Valencia-Trujillo (11th Cir. 2009); the Ker-Frisbie doctrine (Ker v. "
    "Illinois, 1886; Frisbie v. Collins, 1952); United States v. Alvarez-Machain (1992). "
    "Every charge of the case may be prosecuted and superseding counts need no consent from "
    "Mexico."
)

GRANTED = "granted"                      # covered by Mexico's grant
REDESCRIBED = "re_described"             # a granted charge's facts under a new description
EXCEPTED = "specialty_exception"         # an exception of art. 17 lifts the bar
CONSENTED = "consented"                  # Mexico consented after the grant
NOT_GRANTED = "not_granted"              # outside the grant; consent may be sought
BLOCKED = "blocked_pending_consent"      # a superseding count flagged, consent not sought
CONSENT_REQUESTED = "consent_requested"  # waiting for Mexico's answer
CONSENT_REFUSED = "consent_refused"      # Mexico said no: stays blocked
NO_SPECIALTY = "specialty_not_applicable"  # national-security basis
MEXICO_CONSENT = "mexico_consent"        # onward surrender: Mexico consented (art. 17(1)(c))


def applies(state: CourtCase) -> bool:
    """Whether the rule of specialty binds this case (not on the national-security basis)."""
    return state.legal_basis is not LegalBasis.NATIONAL_SECURITY


def within_grant(state: CourtCase, terms: Terms) -> tuple[str, ...]:
    """The charges judicial's terms name, never more than the SRE granted: when both the
    surrender order and the SRE grant are known, the order's list is narrowed to the grant's,
    so a wrong order (e.g. one listing a count added after the grant) cannot widen it."""
    named = terms.granted_charge_ids or ()
    grant = state.terms.get(TermsSource.SRE_EXTRADITION_GRANTED)
    if (terms.source is not TermsSource.SURRENDER_ORDERED or grant is None
            or grant.granted_charge_ids is None):
        return named
    allowed = set(grant.granted_charge_ids)
    return tuple(c for c in named if c in allowed)


def granted_charge_ids(state: CourtCase) -> tuple[str, ...]:
    if state.intake is not None:
        return state.intake.granted_charge_ids
    terms = state.effective_terms
    if terms is None or terms.granted_charge_ids is None:
        return ()
    return within_grant(state, terms)


def facts_granted(state: CourtCase, charge_id: str) -> bool:
    """Whether the count rests on the facts of a charge Mexico granted: the charge itself, or
    a granted offence re-described under a new statute on the same facts (art. 17(2)), also
    through counts that re-described it before (the fold keeps the facts a count rested on
    when it was filed). A count restated with a new statute that names no facts rests on
    none."""
    charge = state.charges.get(charge_id)
    return charge is not None and charge.facts_of in granted_charge_ids(state)


def lifted(state: CourtCase, charge_id: str) -> bool:
    """Whether an exception of art. 17 the court recorded lifts the bar on this count: the
    whole case's (stayed 60 days after being free to leave; left and came back), or the
    count's own (an offence committed after the extradition)."""
    return any(found.lifts(charge_id) for found in state.exceptions)


def lifted_by_own_finding(state: CourtCase, charge_id: str) -> bool:
    """Whether a finding about this count (an offence committed after the extradition), not
    one about the whole case, lifts the bar on it now."""
    return any(bool(found.charge_ids) and found.lifts(charge_id) for found in state.exceptions)


def onward_surrender_grounds(state: CourtCase,
                             requesting_state: str) -> list[tuple[str, date | None]]:
    """Everything that allows surrendering the person on to `requesting_state`, each with the
    day it holds from (None: always), in the order a surrender names them: specialty does not
    apply; an exception for the whole case; Mexico's consent (art. 17(1)(c))."""
    if not applies(state):
        return [(NO_SPECIALTY, None)]
    grounds: list[tuple[str, date | None]] = [
        (found.exception.value, found.found_on) for found in state.exceptions
        if not found.charge_ids]
    request = state.reextraditions.get(requesting_state)
    if request is not None and request.consent == "granted":
        grounds.append((MEXICO_CONSENT, request.decided_on))
    return grounds


def onward_surrender_ground(state: CourtCase, requesting_state: str) -> str | None:
    """What allows surrendering the person on to `requesting_state` now, or None."""
    grounds = onward_surrender_grounds(state, requesting_state)
    return grounds[0][0] if grounds else None


def surrendered_on(state: CourtCase) -> tuple[str, date] | None:
    """The third state the person was surrendered on to, and the day, if they were."""
    return next(((name, request.surrendered_on)
                 for name, request in state.reextraditions.items()
                 if request.surrendered_on is not None), None)


def consented(state: CourtCase, charge_id: str) -> bool:
    consent = state.consents.get(charge_id)
    return consent is not None and consent.status == "granted"


def prosecutable(state: CourtCase, charge_id: str) -> bool:
    """May the person be tried on this charge now? Never on a charge the case doesn't have."""
    if charge_id not in state.charges:
        return False
    if not applies(state):
        return True
    return (facts_granted(state, charge_id) or consented(state, charge_id)
            or lifted(state, charge_id))


def charge_status(state: CourtCase, charge_id: str) -> str:
    if not applies(state):
        return NO_SPECIALTY
    if facts_granted(state, charge_id):
        return GRANTED if state.charges[charge_id].facts_of == charge_id else REDESCRIBED
    if lifted(state, charge_id):
        return EXCEPTED
    consent = state.consents.get(charge_id)
    if consent is not None:
        return {"granted": CONSENTED, "requested": CONSENT_REQUESTED,
                "refused": CONSENT_REFUSED}[consent.status]
    return BLOCKED if charge_id in state.flagged else NOT_GRANTED


def blocked_charge_ids(state: CourtCase) -> tuple[str, ...]:
    """Charges of the case that may not be prosecuted now, in charge order."""
    return tuple(c for c in state.charges if not prosecutable(state, c))


def awaiting_consent(state: CourtCase, charge_id: str) -> bool:
    """A count the specialty rule holds back until Mexico consents: a flagged superseding
    count, or one for which consent was sought, that Mexico hasn't consented to."""
    if not applies(state) or prosecutable(state, charge_id):
        return False
    return charge_id in state.flagged or charge_id in state.consents
