"""Court's audit hooks on events folded from real domain decisions."""

from __future__ import annotations

from collections.abc import Sequence

from services.court import arrival, audit, domain
from services.court.events import LegalBasis
from shared.eventstore import NewEvent, RecordedEvent

from .helpers import (
    NOW,
    decide_consent,
    fold,
    landing,
    ns_authorization,
    recorded,
    request,
    request_consent,
    supersede,
    surrender_order,
)


class Log:
    """Decisions applied to one case, their events kept as the store would hand them back."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []
        self.state = domain.initial()

    def add(self, events: Sequence[NewEvent]) -> list[RecordedEvent]:
        assert events, "the decision recorded nothing"
        added = recorded(events, start_version=len(self.events) + 1)
        self.events += added
        self.state = fold(self.state, events)
        return added


def known(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY) -> Log:
    log = Log()
    log.add(arrival.note_request(log.state, request(*charge_ids, basis=basis), NOW))
    terms = (ns_authorization() if basis is LegalBasis.NATIONAL_SECURITY
             else surrender_order(*charge_ids, basis=basis))
    log.add(arrival.note_terms(log.state, terms, NOW))
    return log


def landed(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY) -> Log:
    log = known(*charge_ids, basis=basis)
    log.add(arrival.open_intake(log.state, landing()))
    return log


def cited(events: Sequence[RecordedEvent], event_type: str) -> str:
    [event] = [e for e in events if e.event_type == event_type]
    return f"{event_type} {event.event_id} (v{event.version})"


def test_before_the_landing_the_intake_is_not_opened() -> None:
    log = known("c1")
    [held] = audit.blockers(log.events)
    assert held.rule == "intake_not_opened"
    assert held.missing == ("court.intake_opened (on transport.person_landed)",)
    assert audit.view(log.events)["status"] == "awaiting_arrival"
    assert [b.rule for b in audit.blockers([])] == ["intake_not_opened"]


def test_a_landed_case_on_granted_charges_has_no_blockers() -> None:
    log = landed("c1", "c2")
    assert audit.blockers(log.events) == []
    view = audit.view(log.events)
    assert view["status"] == "intake_opened"
    assert view["initial_appearance"]["due_by"] is not None
    assert view["version"] == len(log.events)


def test_a_superseding_count_needs_mexicos_consent_until_it_is_granted() -> None:
    log = landed("c1")
    filed = log.add(supersede(log.state, "c1", "c9"))

    [held] = audit.blockers(log.events)
    assert held.rule == "specialty_consent_required"
    assert "charge c9" in held.detail
    assert held.evidence == (cited(filed, "court.superseding_indictment_filed"),
                             cited(filed, "court.specialty_violation_blocked"))
    assert held.missing == ("court.specialty_consent_requested for charge c9",
                            "court.specialty_consent_granted for charge c9")

    asked = log.add(request_consent(log.state, "c9"))
    [held] = audit.blockers(log.events)
    assert held.rule == "specialty_consent_required"
    assert cited(asked, "court.specialty_consent_requested") in held.evidence
    assert held.missing == ("court.specialty_consent_granted for charge c9",)

    refused = log.add(decide_consent(log.state, False, "c9"))
    [held] = audit.blockers(log.events)
    assert cited(refused, "court.specialty_consent_refused") in held.evidence

    log.add(request_consent(log.state, "c9"))
    log.add(decide_consent(log.state, True, "c9"))
    assert audit.blockers(log.events) == []
    assert audit.view(log.events)["specialty"]["blocked_charge_ids"] == []


def test_national_security_superseding_counts_are_not_held() -> None:
    log = landed("c1", basis=LegalBasis.NATIONAL_SECURITY)
    log.add(supersede(log.state, "c1", "c9"))
    assert audit.blockers(log.events) == []


def test_a_third_states_request_is_held_until_mexico_consents() -> None:
    log = landed("c1")
    day = NOW.date()
    asked = log.add(domain.request_reextradition(log.state, "Spain", day, None, NOW))
    [held] = audit.blockers(log.events)
    assert held.rule == "reextradition_consent_missing"
    assert "Spain" in held.detail
    assert held.evidence == (cited(asked, "court.reextradition_requested"),)
    assert held.missing == ("court.reextradition_consent_granted for Spain",
                            "court.specialty_exception_recorded for Spain")
    log.add(domain.decide_reextradition_consent(log.state, "Spain", True, day, "SRE 1", NOW))
    assert audit.blockers(log.events) == []
