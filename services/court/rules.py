"""The court's rules, each one named object (shared/rules): the refusals of domain.py and
arrival.py, the case view's `blocked_by`, the audit's blockers and docs/rules/court.md all ask
this book; none restates a rule.

The specialty rules (treaty art. 17) are judged per count: their subject is a `Count` (the
case and one charge id), and the arraignment gate is the list of rules that hold a count back,
in the order a refusal names them. The national-security note and the exceptions to specialty
are rules too, so what lifts the bar is as visible as what imposes it.
"""

from __future__ import annotations

from typing import Any

from shared.rules import Gate, Reads, Rule, RuleBook
from shared.rules.law import CHARGES_REQUIRED as CHARGES_REQUIRED
from shared.rules.law import DATE_IN_FUTURE as DATE_IN_FUTURE
from shared.rules.law import DATE_OUT_OF_ORDER as DATE_OUT_OF_ORDER
from shared.rules.law import RECORD

from . import specialty
from .specialty import Count

TREATY_17 = "US-Mexico Extradition Treaty (1978) art. 17"

# --- the record and the order of the steps ------------------------------------------------

INTAKE_NOT_OPENED: Rule[Any] = Rule(
    "intake_not_opened",
    "the person has not landed: no intake record is open in the charging district", RECORD,
    Reads.NONE, satisfied_by=("court.intake_opened",),
    blocks=lambda state: state.intake is None)
PROCEEDINGS_ENDED: Rule[Any] = Rule(
    "proceedings_ended", "the US proceedings have ended: nothing more can be recorded",
    RECORD, Reads.NONE, blocks=lambda state: state.ended is not None)
REQUEST_NOT_SEEN: Rule[Any] = Rule(
    "request_not_seen",
    "intake's request has not been seen yet: the court never guesses a case's charges "
    "(the event is retried until it has)", RECORD, Reads.NONE,
    satisfied_by=("intake.request_submitted",))
SURRENDER_ORDER_NOT_SEEN: Rule[Any] = Rule(
    "surrender_order_not_seen",
    "on the treaty and simplified bases the landing waits for judicial's surrender order, "
    "which names the granted charges", "LEI arts. 33-34 (the surrender order)", Reads.NONE,
    satisfied_by=("judicial.surrender_ordered",))
DOCKET_ALREADY_ASSIGNED: Rule[Any] = Rule(
    "docket_already_assigned", "a case has one docket number", RECORD, Reads.NONE)
DOCKET_NOT_ASSIGNED: Rule[Any] = Rule(
    "docket_not_assigned", "arraignment needs the case's docket number", RECORD, Reads.NONE,
    satisfied_by=("court.docket_assigned",))
INITIAL_APPEARANCE_OVERDUE: Rule[Any] = Rule(
    "initial_appearance_overdue",
    "the person is brought before a magistrate judge without unnecessary delay after arrival: "
    "an appearance later than INITIAL_APPEARANCE_LIMIT_HOURS after the landing is flagged "
    "late (a duty, not a bar)",
    "Fed. R. Crim. P. 5(a)(1)(B)", Reads.LEGAL,
    satisfied_by=("court.initial_appearance_held",))
INITIAL_APPEARANCE_ALREADY_HELD: Rule[Any] = Rule(
    "initial_appearance_already_held", "the initial appearance is held once", RECORD,
    Reads.NONE)
INITIAL_APPEARANCE_REQUIRED: Rule[Any] = Rule(
    "initial_appearance_required",
    "the detention hearing and the arraignment follow the initial appearance",
    "Fed. R. Crim. P. 5; 18 U.S.C. § 3142(f) (detention hearing at or after the first "
    "appearance)", Reads.NONE, satisfied_by=("court.initial_appearance_held",))
DETENTION_ALREADY_DECIDED: Rule[Any] = Rule(
    "detention_already_decided", "detention is decided once", RECORD, Reads.NONE)
DETENTION_HEARING_REQUIRED: Rule[Any] = Rule(
    "detention_hearing_required", "arraignment follows the detention hearing",
    "Runway's record: the order of the court's steps", Reads.NONE,
    satisfied_by=("court.detention_ordered", "court.released_on_conditions"))
RELEASE_CONDITIONS_REQUIRED: Rule[Any] = Rule(
    "release_conditions_required", "a release on conditions states the conditions",
    "18 U.S.C. § 3142(c), (h) (the release order states its conditions)", Reads.NONE)
CHARGE_ALREADY_ARRAIGNED: Rule[Any] = Rule(
    "charge_already_arraigned", "a count is arraigned once", RECORD, Reads.NONE)

# 422 types of the court's request bodies (published: the ids stay as they were).
CONDITIONS_MISSING: Rule[Any] = Rule(
    "missing", "a release on conditions must state the conditions (body field `conditions`)",
    "18 U.S.C. § 3142(c), (h)", Reads.NONE)
CONDITIONS_NOT_ALLOWED: Rule[Any] = Rule(
    "not_allowed", "conditions belong to a release on conditions only (body field "
    "`conditions`)", RECORD, Reads.NONE)
COUNT_DUPLICATE: Rule[Any] = Rule(
    "duplicate", "a superseding indictment names each count once", RECORD, Reads.NONE)

# --- specialty (treaty art. 17) -----------------------------------------------------------

SPECIALTY_DEFENCE_UNAVAILABLE: Rule[Any] = Rule(
    "specialty_defence_unavailable",
    "on the national-security basis the person was transferred, not extradited: US courts "
    "hold the rule-of-specialty defence unavailable, so every charge may be prosecuted and "
    "superseding counts need no consent from Mexico",
    "United States v. Valencia-Trujillo, 573 F.3d 1171 (11th Cir. 2009); Ker v. Illinois, "
    "119 U.S. 436 (1886) and Frisbie v. Collins, 342 U.S. 519 (1952) (Ker-Frisbie); United "
    "States v. Alvarez-Machain, 504 U.S. 655 (1992); Ley de Seguridad Nacional",
    Reads.NONE, satisfied_by=("judicial.national_security_transfer_authorized",))
SPECIALTY_CONSENT_REQUIRED: Rule[Any] = Rule(
    "specialty_consent_required",
    "a count outside Mexico's grant that was flagged, or for which consent was sought, may "
    "not be prosecuted until Mexico's consent is recorded",
    f"{TREATY_17}(1)(c)", Reads.NONE,
    satisfied_by=("court.specialty_consent_requested", "court.specialty_consent_granted"),
    blocks=lambda count: specialty.awaiting_consent(count.state, count.charge_id))
SPECIALTY_CHARGE_NOT_GRANTED: Rule[Any] = Rule(
    "specialty_charge_not_granted",
    "the person may be tried only for the offences extradition was granted for, unless "
    "Mexico consents", f"{TREATY_17}(1)", Reads.NONE,
    satisfied_by=("court.specialty_consent_granted",),
    blocks=lambda count: (specialty.applies(count.state)
                          and not specialty.prosecutable(count.state, count.charge_id)
                          and not specialty.awaiting_consent(count.state, count.charge_id)))
CHARGE_NOT_IN_CASE: Rule[Any] = Rule(
    "charge_not_in_case", "a count must be a charge of the case", RECORD, Reads.NONE,
    satisfied_by=("court.superseding_indictment_filed",),
    blocks=lambda count: count.charge_id not in count.state.charges)
SPECIALTY_CONSENT_NOT_NEEDED: Rule[Any] = Rule(
    "specialty_consent_not_needed",
    "Mexico's consent is sought only for counts the person may not yet be tried on, and "
    "never on the national-security basis", TREATY_17, Reads.NONE)
SPECIALTY_CONSENT_ALREADY_REQUESTED: Rule[Any] = Rule(
    "specialty_consent_already_requested",
    "Mexico's consent for a count is requested once while the request is pending", RECORD,
    Reads.NONE)
SPECIALTY_CONSENT_NOT_REQUESTED: Rule[Any] = Rule(
    "specialty_consent_not_requested",
    "Mexico answers only a pending request for consent", RECORD, Reads.NONE,
    satisfied_by=("court.specialty_consent_requested",))

# The guarded act: prosecuting (arraigning on) one count. Order = the refusal's order.
ARRAIGNMENT_GATE: Gate[Count] = Gate(
    "arraignment on a count",
    (SPECIALTY_CONSENT_REQUIRED, SPECIALTY_CHARGE_NOT_GRANTED, CHARGE_NOT_IN_CASE))

RULES = RuleBook("court", [
    CHARGES_REQUIRED, DATE_IN_FUTURE, DATE_OUT_OF_ORDER,
    INTAKE_NOT_OPENED, PROCEEDINGS_ENDED, REQUEST_NOT_SEEN, SURRENDER_ORDER_NOT_SEEN,
    DOCKET_ALREADY_ASSIGNED, DOCKET_NOT_ASSIGNED, INITIAL_APPEARANCE_OVERDUE,
    INITIAL_APPEARANCE_ALREADY_HELD, INITIAL_APPEARANCE_REQUIRED, DETENTION_ALREADY_DECIDED,
    DETENTION_HEARING_REQUIRED, RELEASE_CONDITIONS_REQUIRED, CHARGE_ALREADY_ARRAIGNED,
    CONDITIONS_MISSING, CONDITIONS_NOT_ALLOWED, COUNT_DUPLICATE,
    SPECIALTY_DEFENCE_UNAVAILABLE, SPECIALTY_CONSENT_REQUIRED, SPECIALTY_CHARGE_NOT_GRANTED,
    CHARGE_NOT_IN_CASE, SPECIALTY_CONSENT_NOT_NEEDED, SPECIALTY_CONSENT_ALREADY_REQUESTED,
    SPECIALTY_CONSENT_NOT_REQUESTED,
], gates=[ARRAIGNMENT_GATE])


def blocked_by(state: Any, charge_id: str) -> list[str]:
    """The rules holding back prosecution on one count now (the view's `blocked_by`)."""
    return ARRAIGNMENT_GATE.failing_ids(Count(state, charge_id))
