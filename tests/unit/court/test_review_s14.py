"""Review s14 of the court service (F1-F9): judicial's latest act decides the basis (an order
annulled and overtaken by a national-security transfer); an intake amendment after Mexico's
grant moves a granted charge to another offence whenever the court reads it; a finding of a
later offence does not follow its count onto other facts; a count may rest on the request
facts of a charge the US restated; onward surrender is judged on its own day, after the
landing, once; an arraignment after a consent is not moved by a later re-description; a
diverted landing is not shown in the charging district. Old events fold as before."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.court import arrival, audit, domain, inputs, specialty
from services.court import events as ev
from services.court import rules as R  # noqa: N812 (the rule book: R.X)
from services.court.arrival import IntakeAmendment, JudicialTerms
from services.court.domain import CourtCase, ExceptionFacts
from services.court.events import ChargeText, LegalBasis, Plea, SpecialtyException, TermsSource
from services.court.view import case_view
from shared.eventstore import RecordedEvent
from shared.messaging.cloudevents import ConsumedEvent
from tests.support.service_app import off_kafka

from .helpers import (
    CASE,
    LANDED,
    NOW,
    POLICY,
    known,
    landed,
    landing,
    ns_authorization,
    ready_to_arraign,
    recorded,
    request,
    sre_grant,
    step,
    surrender_order,
    text,
)
from .test_specialty_off_the_path import (
    CLOCK,
    MURDER,
    OFFENCE_AFTER,
    refusal,
    shown,
    supersede,
)

VICAR = ChargeText(charge_id="c9", statute="18 U.S.C. § 1959",
                   description="violent crime in aid of racketeering")


def arraign_on(state: CourtCase, day: date, *charge_ids: str) -> list[Any]:
    return domain.arraign(state, day, Plea.NOT_GUILTY, charge_ids, CLOCK)


def consented(state: CourtCase, charge_id: str, asked: date, answered: date) -> CourtCase:
    state = step(state, domain.request_consent(state, [charge_id], asked, "US note 1", CLOCK))
    return step(state, domain.decide_consent(state, True, [charge_id], answered,
                                             "SRE note 1", CLOCK))


def later_offence(state: CourtCase, committed_on: date, found_on: date,
                  *charge_ids: str) -> CourtCase:
    return step(state, domain.record_specialty_exception(
        state, OFFENCE_AFTER, ExceptionFacts(committed_on=committed_on, charge_ids=charge_ids),
        found_on, "Order 2025-2", CLOCK))


def amended(state: CourtCase, on: datetime, statute: str = "18 U.S.C. § 1959") -> CourtCase:
    """Intake restates c1 under `statute`, with the legal time `on`."""
    amendment = IntakeAmendment(
        case_id=CASE, charges=(ChargeText(charge_id="c1", statute=statute,
                                          description="violent crime in aid of racketeering"),),
        reason="the US restated the charge", intake_event_id=str(uuid.uuid4()),
        recorded_at=on)
    return step(state, arrival.note_amendment(state, amendment, NOW))


def consumed(event_type: str, data: dict[str, Any], at: datetime) -> ConsumedEvent:
    """An event as court's consumer reads it off Kafka."""
    return off_kafka(event_type.partition(".")[0], event_type, data, CASE, at=at)


def noted(state: CourtCase, *terms: JudicialTerms) -> CourtCase:
    for each in terms:
        state = domain.preview(state, arrival.note_terms(state, each, NOW))
    return state


# --- F9: an order annulled, then a national-security transfer --------------------------------

def _judicial_events() -> list[Any]:
    """Judicial, built with its own domain (as tests/unit/judicial/test_rules.py): a treaty
    case granted 5 Feb 2026, surrender ordered 10 Apr; amparo X-1 against the order granted
    1 May, upheld on appeal 20 May (final); the SRE decides again on 25 May (the order goes,
    judicial's `_reopened`); basis change to national security 26 May; the transfer is
    authorized 27 May. Every event judicial recorded, in order."""
    from services.judicial import commands as jcmd
    from services.judicial.domain import decide, decide_timer, open_case, replay
    from services.judicial.events import CaseOpened
    from services.judicial.events import LegalBasis as JudicialBasis
    from services.judicial.state import ClockKind, initial
    from tests.unit.judicial.support import POLICY as JUDICIAL_POLICY
    from tests.unit.judicial.support import amparo, at, d, formal, hearing, opinion, ruling, sre
    from tests.unit.judicial.support import surrender as order

    opened = CaseOpened(case_id="RWY-J1", opened_at=at("2025-12-01"),
                        legal_basis=JudicialBasis("treaty"), requesting_district="EDNY",
                        charge_ids=("c1", "c2"), intake_event_id="e-1")
    recorded_: list[Any] = list(open_case(initial(), opened))
    state = replay(initial(), recorded_)

    later = at("2026-09-01", 12)

    def run(*commands: Any, now: datetime | None = None) -> None:
        nonlocal state
        for command in commands:
            new = decide(state, command, now or later, JUDICIAL_POLICY)
            recorded_.extend(new)
            state = replay(state, new)

    run(formal(), hearing(), opinion(), sre(), now=datetime(2026, 6, 1, 12, tzinfo=UTC))
    closing = list(decide_timer(state, ClockKind.AMPARO_WINDOW, at("2026-03-24")).events)
    recorded_.extend(closing)
    state = replay(state, closing)
    run(order("2026-04-10"), amparo("X-1", "2026-04-15"), ruling("granted", "X-1", "2026-05-01"),
        jcmd.FileAmparoAppeal.model_validate(
            {"amparo_id": "X-1", "filed_on": "2026-05-05", "appellant": "authority"}),
        jcmd.DecideAmparoAppeal.model_validate(
            {"amparo_id": "X-1", "decided_on": "2026-05-20", "outcome": "granted"}),
        sre(on="2026-05-25", notified="2026-05-25"),
        jcmd.ChangeBasis(changed_on=d("2026-05-26"), to_basis="national_security",
                         reason="transfer under the National Security Law",
                         authority="Security Cabinet"),
        jcmd.AuthorizeNationalSecurityTransfer(authorized_at=at("2026-05-27", 10),
                                               us_request_reference="US-1", authority="SSPC"))
    return recorded_


def test_f9_a_transfer_overtaking_an_annulled_order_opens_on_the_national_security_basis(
        ) -> None:
    """Brief: 'a treaty case may be overtaken by a national-security transfer'; on that basis
    'the specialty defence [is] unavailable ...: record that'. Court used to prefer any order
    it had noted, so the person opened as a treaty case bound by the annulled order."""
    events = _judicial_events()
    kinds = [e.event_type for e in events]
    assert "judicial.surrender_ordered" in kinds and "judicial.basis_changed" in kinds
    state = domain.initial()
    state = step(state, arrival.note_request(state, request("c1", "c2"), NOW))
    for event in events:
        if f"{event.event_type}.v{event.schema_version}" not in inputs.terms_readers.types():
            continue
        data = {**event.payload, "case_id": CASE}
        terms = inputs.terms_readers.read(consumed(event.event_type, data,
                                                   event.occurred_at or CLOCK))
        state = domain.preview(state, arrival.note_terms(state, terms, CLOCK))
    assert set(state.terms) == set(TermsSource)
    opened = arrival.open_intake(state, landing())[0].payload
    assert opened["legal_basis"] == "national_security", (
        opened["legal_basis"], opened["terms_source"], opened["granted_charge_ids"])
    assert opened["specialty_defence_available"] is False
    assert opened["specialty_note"] == specialty.NATIONAL_SECURITY_NOTE


def _order_then_overtaken() -> tuple[JudicialTerms, JudicialTerms, JudicialTerms]:
    """An order of 1 Jul 2025, the SRE deciding again on 20 Jul (a final amparo annulled the
    order) and a national-security authorization on 11 Aug."""
    regrant = replace(sre_grant("c1"), decided_on=date(2025, 7, 20))
    return surrender_order("c1"), regrant, ns_authorization()


def test_f9_the_latest_act_decides_whatever_order_the_events_are_read_in() -> None:
    order, regrant, authorization = _order_then_overtaken()
    for terms in ((order, regrant, authorization), (authorization, regrant, order),
                  (regrant, authorization, order)):
        state = noted(known("c1", basis=LegalBasis.TREATY), *terms)
        assert state.legal_basis is LegalBasis.NATIONAL_SECURITY, terms
        opened = arrival.open_intake(state, landing())[0].payload
        assert (opened["legal_basis"], opened["terms_source"]) == (
            "national_security", "national_security_transfer_authorized")


def test_f9_an_order_the_sre_decided_again_after_is_not_the_order_the_landing_opens_on() -> None:
    """The SRE decided again after the order (the order is void): the landing waits for the
    new order rather than open on the old one."""
    order, regrant, _ = _order_then_overtaken()
    state = noted(known("c1"), regrant)
    assert state.effective_terms is not None
    assert state.effective_terms.source is TermsSource.SRE_EXTRADITION_GRANTED
    assert refusal(lambda: arrival.open_intake(state, landing())) == \
        R.SURRENDER_ORDER_NOT_SEEN.id
    state = noted(state, replace(order, decided_on=date(2025, 8, 1)))
    assert arrival.open_intake(state, landing())[0].payload["terms_source"] == \
        "surrender_ordered"


def test_f9_the_usual_path_still_opens_on_the_order() -> None:
    """A grant, then the order: the order, read before or after the grant."""
    for terms in ((sre_grant("c1"), surrender_order("c1")),
                  (surrender_order("c1"), sre_grant("c1"))):
        state = step(domain.initial(), arrival.note_request(domain.initial(), request("c1"),
                                                            NOW))
        opened = arrival.open_intake(noted(state, *terms), landing())[0].payload
        assert (opened["legal_basis"], opened["terms_source"]) == ("treaty",
                                                                   "surrender_ordered")


# --- F4: an intake amendment after Mexico's grant, before the landing -------------------------

def test_f4_a_statute_change_after_mexicos_grant_is_not_tried_as_the_granted_offence() -> None:
    """SRE grant of c1 (21 U.S.C. § 841) 1 May 2025, order 1 Jul; intake restates c1 as
    18 U.S.C. § 1959 on 15 Jul; the person lands 12 Aug. Mexico never granted VICAR (brief
    rule 5; README 'Charges')."""
    state = step(domain.initial(), arrival.note_request(domain.initial(), request("c1"), NOW))
    state = step(state, arrival.note_terms(state, sre_grant("c1"), NOW))
    state = step(state, arrival.note_terms(state, surrender_order("c1"), NOW))
    state = amended(state, datetime(2025, 7, 15, 16, 0, tzinfo=UTC))
    [opened] = arrival.open_intake(state, landing())
    state = step(state, [opened])
    state = step(state, domain.assign_docket(state, "1:25-cr-1", NOW))
    state = step(state, domain.hold_initial_appearance(state, LANDED + timedelta(hours=20),
                                                       "Judge Levy", NOW, POLICY))
    state = step(state, domain.decide_detention(state, "detained", NOW.date(), None, NOW))
    assert shown(state, "c1")["statute"] == "18 U.S.C. § 1959"
    assert shown(state, "c1")["prosecutable"] is False, shown(state, "c1")
    assert refusal(lambda: arraign_on(state, NOW.date(), "c1")) == \
        R.SPECIALTY_CHARGE_NOT_GRANTED.id
    # The intake says so: Mexico granted c1, but c1 as amended is not among the charges
    # that may be tried.
    assert opened.payload["restated_after_grant"] == ["c1"]
    assert opened.payload["granted_charge_ids"] == ["c1"] and opened.payload["charges"] == []


def test_f4_whether_an_amended_count_is_triable_does_not_depend_on_delivery_order() -> None:
    """The amendment is dated 10 Aug 2025, the landing 12 Aug: read before or after the
    landing, c1 is the same (another offence)."""
    on = datetime(2025, 8, 10, 16, 0, tzinfo=UTC)
    first = amended(known("c1"), on)
    first = step(first, arrival.open_intake(first, landing()))
    later = amended(landed("c1"), on)
    assert shown(first, "c1")["statute"] == shown(later, "c1")["statute"] == "18 U.S.C. § 1959"
    assert shown(first, "c1")["prosecutable"] == shown(later, "c1")["prosecutable"] is False, (
        shown(first, "c1")["status"], shown(later, "c1")["status"])


def test_f4_a_charge_moved_after_the_grant_and_moved_back_is_the_granted_offence() -> None:
    """Granted under 21 U.S.C. § 841 on 1 May 2025; intake restates c1 as 18 U.S.C. § 1959
    on 1 Jun and back under 21 USC 841 on 5 Jun (second review, K1). Read before or after
    the landing of 12 Aug, c1 is the offence Mexico granted, and may be tried."""
    base = noted(known("c1"), sre_grant("c1"))

    def moved_and_back(state: CourtCase) -> CourtCase:
        state = amended(state, datetime(2025, 6, 1, 16, 0, tzinfo=UTC))
        return amended(state, datetime(2025, 6, 5, 16, 0, tzinfo=UTC), "21 USC 841")

    before_landing = moved_and_back(base)
    opened = arrival.open_intake(before_landing, landing())
    assert opened[0].payload["restated_after_grant"] == []
    after_landing = moved_and_back(step(base, arrival.open_intake(base, landing())))
    for state in (step(before_landing, opened), after_landing):
        assert shown(state, "c1")["status"] == specialty.GRANTED, shown(state, "c1")


def test_f4_an_amendment_before_mexicos_grant_is_what_mexico_granted() -> None:
    """Restated on 1 Apr 2025, before the SRE's grant of 1 May: the SRE decided on the
    request as amended, so c1 stays granted, read before or after the landing."""
    on = datetime(2025, 4, 1, 16, 0, tzinfo=UTC)
    base = noted(known("c1"), sre_grant("c1"))
    first = amended(base, on)
    first = step(first, arrival.open_intake(first, landing()))
    later = step(base, arrival.open_intake(base, landing()))
    later = amended(later, on)
    for state in (first, later):
        assert shown(state, "c1")["status"] == specialty.GRANTED, shown(state, "c1")


def test_f4_an_amendment_noted_without_its_date_folds_as_before() -> None:
    """A charges_amendment_noted stored before `amended_on` existed: read before the landing
    it moved nothing (as it was folded then)."""
    state = known("c1")
    [event] = arrival.note_amendment(state, IntakeAmendment(
        case_id=CASE, charges=(ChargeText(charge_id="c1", statute="18 U.S.C. § 1959",
                                          description="VICAR"),),
        reason=None, intake_event_id="i-9", recorded_at=datetime(2025, 8, 10, tzinfo=UTC)),
        NOW)
    old = {k: v for k, v in event.payload.items() if k != "amended_on"}
    state = domain.evolve(state, recorded([replace(event, payload=old)])[0])
    state = step(state, arrival.open_intake(state, landing()))
    assert shown(state, "c1")["status"] == specialty.GRANTED


# --- F5: a finding of a later offence does not follow its count onto other facts --------------

def test_f5_an_offence_after_extradition_finding_does_not_follow_the_count_onto_request_facts(
        ) -> None:
    """c1 granted, c2 refused. c9 (murder, no facts) filed 1 Sep, found on 1 Oct to be an
    offence committed after the extradition; on 1 Nov restated on c2's facts (the conduct
    Mexico refused). Recorded in the other order the finding is refused
    (offence_not_after_extradition)."""
    state = ready_to_arraign("c1", "c2", granted=["c1"])
    state = supersede(state, date(2025, 9, 1), MURDER)
    state = later_offence(state, date(2025, 8, 20), date(2025, 10, 1), "c9")
    assert shown(state, "c9")["prosecutable"] is True
    decided = domain.file_superseding_indictment(state, date(2025, 11, 1), [VICAR], CLOCK,
                                                 {"c9": "c2"})
    state = step(state, decided)
    assert shown(state, "c9")["facts_of"] == "c2"
    assert shown(state, "c9")["prosecutable"] is False, shown(state, "c9")
    assert refusal(lambda: arraign_on(state, date(2025, 11, 5), "c9")) is not None
    # The indictment says the finding lapsed, and flags c9 again; the view keeps the finding.
    [filed, blocked] = decided
    assert filed.payload["exceptions_lapsed"] == ["c9"]
    assert blocked.payload["charge_ids"] == ["c9"]
    [found] = case_view(state)["specialty"]["exceptions"]
    assert (found["charge_ids"], found["lapsed_charge_ids"]) == (["c9"], ["c9"])


def test_f5_the_same_facts_in_the_other_order_are_refused() -> None:
    state = ready_to_arraign("c1", "c2", granted=["c1"])
    state = supersede(state, date(2025, 9, 1), VICAR, facts_of={"c9": "c2"})
    assert refusal(lambda: later_offence(state, date(2025, 8, 20), date(2025, 10, 1), "c9")) \
        == R.OFFENCE_NOT_AFTER_EXTRADITION.id


def test_f5_a_count_restated_as_the_offence_found_keeps_the_finding() -> None:
    """Restated under its statute (the wording tightened), or naming its own facts under a
    new statute: still the offence the court found committed after the extradition."""
    state = ready_to_arraign("c1", "c2", granted=["c1"])
    state = supersede(state, date(2025, 9, 1), MURDER)
    state = later_offence(state, date(2025, 8, 20), date(2025, 10, 1), "c9")
    tightened = MURDER.model_copy(update={"description": "murder of a witness"})
    kept = supersede(state, date(2025, 11, 1), tightened)
    named = supersede(state, date(2025, 11, 1), VICAR, facts_of={"c9": "c9"})
    for after in (kept, named):
        assert shown(after, "c9")["status"] == specialty.EXCEPTED, shown(after, "c9")
    # A new statute naming no facts is a new offence: the finding lapses.
    moved = supersede(state, date(2025, 11, 1), VICAR)
    assert shown(moved, "c9")["prosecutable"] is False


# --- F3: a count on the request facts of a granted charge the US restated --------------------

def test_f3_a_count_on_the_request_facts_of_a_granted_charge_stays_inside_the_grant() -> None:
    """c8 re-describes c1 (20 Aug); c1 itself is restated under a new statute naming no facts
    (1 Sep, blocked); on 1 Oct c9 names c8's facts and c10 c1's: the same conduct, the one the
    request described for c1 (art. 17(2)(a); events.CountText.facts_of)."""
    state = ready_to_arraign("c1")
    state = supersede(state, date(2025, 8, 20),
                      ChargeText(charge_id="c8", statute="21 U.S.C. § 846",
                                 description="conspiracy to distribute"), facts_of={"c8": "c1"})
    state = supersede(state, date(2025, 9, 1),
                      ChargeText(charge_id="c1", statute="18 U.S.C. § 924(c)",
                                 description="firearm in furtherance"))
    assert shown(state, "c1")["status"] == "blocked_pending_consent"
    state = supersede(state, date(2025, 10, 1), VICAR,
                      ChargeText(charge_id="c10", statute="18 U.S.C. § 1956",
                                 description="laundering the proceeds"),
                      facts_of={"c9": "c8", "c10": "c1"})
    assert shown(state, "c9")["status"] == "re_described"
    assert shown(state, "c10")["status"] == "re_described", shown(state, "c10")
    assert refusal(lambda: arraign_on(state, date(2025, 10, 2), "c10")) is None


def test_f3_an_indictment_filed_before_facts_were_resolved_folds_as_before() -> None:
    """The same indictment as stored before `facts_resolved`: c10 named c1 and rested on c1's
    facts as they stood on filing (none), as it was folded then."""
    state = ready_to_arraign("c1")
    state = supersede(state, date(2025, 9, 1),
                      ChargeText(charge_id="c1", statute="18 U.S.C. § 924(c)",
                                 description="firearm in furtherance"))
    [filed, *_] = domain.file_superseding_indictment(
        state, date(2025, 10, 1), [ChargeText(charge_id="c10", statute="18 U.S.C. § 1956",
                                              description="laundering")],
        CLOCK, {"c10": "c1"})
    assert filed.payload["facts_resolved"] is True
    old = {k: v for k, v in filed.payload.items()
           if k not in ("facts_resolved", "exceptions_lapsed")}
    before = domain.evolve(state, recorded([replace(filed, payload=old)])[0])
    assert before.charges["c10"].facts_of is None
    assert domain.preview(state, [filed]).charges["c10"].facts_of == "c1"


# --- F8: an arraignment after Mexico's consent, typed in after a later re-description --------

def test_f8_an_arraignment_after_mexicos_consent_is_not_refused_by_a_later_re_description(
        ) -> None:
    """c9 (outside the grant) filed 1 Sep, consent 10 Sep, arraigned 15 Sep; an indictment of
    1 Oct re-describes c9 on c1's facts. Typed in before or after that indictment, the
    arraignment of 15 Sep is in order (README 'Dates in order')."""
    state = ready_to_arraign("c1", "c2", granted=["c1"])
    state = supersede(state, date(2025, 9, 1), MURDER)
    state = consented(state, "c9", date(2025, 9, 2), date(2025, 9, 10))
    held_on = date(2025, 9, 15)
    assert refusal(lambda: arraign_on(state, held_on, "c9")) is None
    state = supersede(state, date(2025, 10, 1), MURDER, facts_of={"c9": "c1"})
    assert shown(state, "c9")["consent"]["status"] == "granted"
    assert refusal(lambda: arraign_on(state, held_on, "c9")) is None
    # Before the consent it was not triable, and still isn't on that day.
    assert refusal(lambda: arraign_on(state, date(2025, 9, 5), "c9")) == \
        R.DATE_OUT_OF_ORDER.id


# --- F2, F6, F7: onward surrender -------------------------------------------------------------

def _asked_and_consented(state: CourtCase, name: str = "Spain") -> CourtCase:
    state = step(state, domain.request_reextradition(state, name, date(2025, 9, 1),
                                                     f"{name} note", CLOCK))
    return step(state, domain.decide_reextradition_consent(state, name, True,
                                                           date(2025, 10, 1),
                                                           f"SRE note {name}", CLOCK))


def test_f2_onward_surrender_after_mexicos_consent_is_not_refused_by_a_later_exception() -> None:
    """Mexico consents 1 Oct; the US surrenders the person 15 Nov; the court finds on 1 Dec
    that the person left and came back. Typed in after the finding, the surrender still rests
    on Mexico's consent (art. 17(1)(c))."""
    base = _asked_and_consented(landed("c1"))
    surrender = date(2025, 11, 15)
    assert refusal(lambda: domain.surrender_onward(base, "Spain", surrender, CLOCK)) is None
    excepted = step(base, domain.record_specialty_exception(
        base, SpecialtyException.LEFT_AND_RETURNED,
        ExceptionFacts(left_on=date(2025, 8, 20), returned_on=date(2025, 8, 25)),
        date(2025, 12, 1), "Order 2025-1", CLOCK))
    [recorded_] = domain.surrender_onward(excepted, "Spain", surrender, CLOCK)
    assert recorded_.payload["under"] == specialty.MEXICO_CONSENT
    # On a day both hold, the whole-case exception is named first, as before.
    [both] = domain.surrender_onward(excepted, "Spain", date(2025, 12, 2), CLOCK)
    assert both.payload["under"] == SpecialtyException.LEFT_AND_RETURNED.value
    # Before every ground: out of order.
    assert refusal(lambda: domain.surrender_onward(excepted, "Spain", date(2025, 9, 20),
                                                   CLOCK)) == R.DATE_OUT_OF_ORDER.id


def test_f6_an_onward_surrender_is_not_dated_before_the_landing() -> None:
    """Landed 12 Aug 2025; a third state's request of 1 Aug may predate the landing, a
    surrender 'by the US' on 5 Aug may not (national-security basis: no consent needed)."""
    state = landed("c1", basis=LegalBasis.NATIONAL_SECURITY)
    state = step(state, domain.request_reextradition(state, "Spain", date(2025, 8, 1),
                                                     "Spain note 1", CLOCK))
    assert refusal(lambda: domain.surrender_onward(state, "Spain", date(2025, 8, 5), CLOCK)) \
        == R.DATE_OUT_OF_ORDER.id
    assert refusal(lambda: domain.surrender_onward(state, "Spain", date(2025, 8, 12),
                                                   CLOCK)) is None


def test_f7_a_person_surrendered_to_one_third_state_is_not_surrendered_to_another() -> None:
    """Rule onward_surrender_already_recorded: 'the person is surrendered on once'."""
    state = _asked_and_consented(_asked_and_consented(landed("c1")), "Italy")
    state = step(state, domain.surrender_onward(state, "Spain", date(2025, 11, 1), CLOCK))
    assert refusal(lambda: domain.surrender_onward(state, "Italy", date(2025, 11, 2), CLOCK)) \
        == R.ONWARD_SURRENDER_ALREADY_RECORDED.id
    italy = next(r for r in case_view(state)["reextraditions"]
                 if r["requesting_state"] == "Italy")
    assert italy["blocked_by"] == [R.ONWARD_SURRENDER_ALREADY_RECORDED.id]


def _audit_log() -> list[RecordedEvent]:
    """Spain (consented) and Italy (not answered) ask; the person goes to Spain."""
    state = domain.initial()
    events: list[Any] = []

    def add(new: list[Any]) -> None:
        nonlocal state
        events.extend(new)
        state = domain.preview(state, new)

    add(arrival.note_request(state, request("c1"), NOW))
    add(arrival.note_terms(state, surrender_order("c1"), NOW))
    add(arrival.open_intake(state, landing()))
    for name in ("Spain", "Italy"):
        add(domain.request_reextradition(state, name, date(2025, 9, 1), f"{name} note", CLOCK))
    before = [b.rule for b in audit.blockers(recorded(events))]
    assert before.count(R.REEXTRADITION_CONSENT_MISSING.id) == 2
    add(domain.decide_reextradition_consent(state, "Spain", True, date(2025, 10, 1), "n",
                                            CLOCK))
    add(domain.surrender_onward(state, "Spain", date(2025, 11, 1), CLOCK))
    return recorded(events)


def test_f7_once_the_person_is_surrendered_on_the_audit_holds_no_other_request() -> None:
    """Italy's request is moot once the person went to Spain: not a pending hold."""
    holds = [b.rule for b in audit.blockers(_audit_log())]
    assert R.REEXTRADITION_CONSENT_MISSING.id not in holds, holds


# --- F1: a diverted landing ------------------------------------------------------------------

def test_f1_a_diverted_landing_is_not_shown_as_landed_in_the_charging_district() -> None:
    """Transport lands a CDCA person at San Antonio after a diversion; its person_landed has
    `district` = the CHARGING district and `diverted: true` (built with transport's own
    domain). The court must not say the person landed in the charging district (Fed. R.
    Crim. P. 5(c)(4))."""
    from services.transport import domain as transport_domain
    from tests.unit.transport.helpers import World, payload

    world = World()
    world.eligible("RWY-2", "CDCA")
    flight_id = world.schedule(("LAX",))
    world.assign("RWY-2", flight_id)
    world.custody("RWY-2", flight_id)
    world.depart(flight_id)
    world.apply(transport_domain.divert(world.flights[flight_id], "SAT", "weather at LAX",
                                        world.now, world.now, world.routes))
    data = dict(payload(world.land(flight_id, "SAT"), "RWY-2", "transport.person_landed"))
    assert data["diverted"] is True and data["airport"] == "SAT" and data["district"] == "CDCA"
    data["case_id"] = CASE

    state = step(domain.initial(), arrival.note_request(
        domain.initial(), request("c1", district="CDCA"), NOW))
    state = step(state, arrival.note_terms(state, surrender_order("c1"), NOW))
    at = datetime.fromisoformat(str(data["landed_at"]))
    state = step(state, arrival.open_intake(
        state, inputs.landing(consumed("transport.person_landed", data, at))))
    intake = case_view(state)["intake"]
    assert intake["airport"] == "SAT"
    assert intake["landed_in_charging_district"] is False, intake
    assert intake["landing_district"] != "CDCA", intake


def test_f1_the_intake_records_what_the_court_knows_of_a_diverted_landing() -> None:
    [opened] = arrival.open_intake(known("c1"), replace(landing(), diverted=True,
                                                        airport="SAT"))
    assert (opened.payload["district"], opened.payload["landing_district"],
            opened.payload["landed_in_charging_district"]) == ("EDNY", "", False)
    [usual] = arrival.open_intake(known("c1"), landing())
    assert (usual.payload["landing_district"],
            usual.payload["landed_in_charging_district"]) == ("EDNY", True)


def test_f1_a_landing_without_the_diverted_field_reads_as_not_diverted() -> None:
    data: dict[str, object] = {"case_id": CASE, "flight_id": "FLT-1",
                               "landed_at": LANDED.isoformat(), "airport": "JFK",
                               "district": "EDNY"}
    assert inputs.landing(consumed("transport.person_landed", data, LANDED)).diverted is False


def test_helpers_are_what_the_tests_assume() -> None:
    state = known("c1")
    assert state.intake is None and "c1" in state.charges
    assert text("c1").statute == "21 U.S.C. § 841"
    assert ev.schema_version(ev.SUPERSEDING_INDICTMENT_FILED) == 2
