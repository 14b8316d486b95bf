"""The US court intake rules on the pure domain, one rule at a time: intake on landing, Rule 5,
steps in order, the rule of specialty (treaty art. 17) and temporary surrender."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.court import arrival, domain, specialty
from services.court import events as ev
from services.court.domain import CourtCase, Policy
from services.court.events import LegalBasis, Plea
from services.court.settings import CourtSettings
from services.court.view import as_of, case_view
from shared import aggregate
from shared.errors import NotFound, RuleViolation
from shared.eventstore import NewEvent
from tests.support.stored import only, types

from .helpers import (
    CASE,
    LANDED,
    NOW,
    POLICY,
    appeared,
    arraign,
    decide_consent,
    fold,
    known,
    landed,
    landing,
    ns_authorization,
    ready_to_arraign,
    recorded,
    request,
    request_consent,
    sre_grant,
    step,
    supersede,
    surrender_order,
    text,
)


def refused(rule: str, decide: Callable[[], list[NewEvent]]) -> RuleViolation:
    with pytest.raises(RuleViolation) as raised:
        decide()
    assert raised.value.rule == rule, raised.value
    return raised.value


# --- intake on landing --------------------------------------------------------------------

def test_landing_opens_the_intake_in_the_charging_district_with_the_granted_charges() -> None:
    state = known("c1", "c2", "c3", granted=("c1", "c2"))

    events = arrival.open_intake(state, landing())

    assert types(events) == [ev.INTAKE_OPENED]
    opened = events[0].payload
    assert opened["case_id"] == CASE and opened["district"] == "EDNY"
    assert opened["landed_at"] == "2025-08-12T18:00:00Z" and opened["airport"] == "JFK"
    assert opened["flight_id"] == "FLT-0001" and opened["landed_in_charging_district"]
    assert opened["granted_charge_ids"] == ["c1", "c2"]
    assert [c["charge_id"] for c in opened["charges"]] == ["c1", "c2"]
    assert opened["legal_basis"] == "treaty" and opened["terms_source"] == "surrender_ordered"
    assert opened["specialty_defence_available"] is True and opened["specialty_note"] is None
    assert opened["return_obligation"] is False and opened["surrender_kind"] == "full"
    assert events[0].occurred_at == LANDED
    after = fold(state, events)
    assert [specialty.prosecutable(after, c) for c in ("c1", "c2", "c3")] == \
        [True, True, False]
    assert case_view(after)["status"] == "intake_opened"


def test_a_surrender_order_cannot_widen_the_sre_grant() -> None:
    """A count added after the grant and (wrongly) listed in the surrender order stays
    outside the grant: the order's list is narrowed to the SRE's when both are known."""
    state = domain.initial()
    state = step(state, arrival.note_request(state, request("c1", "c2", "c3"), NOW))
    state = step(state, arrival.note_terms(state, sre_grant("c1", "c2"), NOW))
    state = step(state, arrival.note_terms(state, surrender_order("c1", "c2", "c3"), NOW))
    assert specialty.granted_charge_ids(state) == ("c1", "c2")
    assert not specialty.prosecutable(state, "c3")

    events = arrival.open_intake(state, landing())
    assert events[0].payload["granted_charge_ids"] == ["c1", "c2"]
    after = fold(state, events)
    assert [specialty.prosecutable(after, c) for c in ("c1", "c2", "c3")] == \
        [True, True, False]
    assert specialty.charge_status(after, "c3") == specialty.NOT_GRANTED


def test_without_the_sre_grant_the_surrender_order_names_the_granted_charges() -> None:
    state = known("c1", "c2", "c3", granted=("c1", "c3"))
    assert arrival.open_intake(state, landing())[0].payload["granted_charge_ids"] == \
        ["c1", "c3"]


def test_a_landing_in_another_district_still_opens_in_the_charging_district() -> None:
    opened = arrival.open_intake(known("c1"), landing(district="SDTX"))[0].payload
    assert (opened["district"], opened["landing_district"]) == ("EDNY", "SDTX")
    assert opened["landed_in_charging_district"] is False


def test_a_landing_before_the_request_is_refused_so_that_it_is_retried() -> None:
    refused("request_not_seen", lambda: arrival.open_intake(domain.initial(), landing()))
    # Judicial's terms alone are not enough either: the request names the charges.
    state = domain.initial()
    state = step(state, arrival.note_terms(state, surrender_order("c1"), NOW))
    refused("request_not_seen", lambda: arrival.open_intake(state, landing()))


def test_on_a_judicial_basis_the_landing_waits_for_the_surrender_order() -> None:
    state = domain.initial()
    state = step(state, arrival.note_request(state, request("c1", "c2"), NOW))
    state = step(state, arrival.note_terms(state, sre_grant("c1"), NOW))
    error = refused("surrender_order_not_seen", lambda: arrival.open_intake(state, landing()))
    assert "retried" in error.message
    state = step(state, arrival.note_terms(state, surrender_order("c1"), NOW))
    assert only(arrival.open_intake(state, landing()), ev.INTAKE_OPENED)[
        "granted_charge_ids"] == ["c1"]


def test_a_second_landing_changes_nothing_and_late_terms_are_ignored() -> None:
    state = landed("c1")
    assert arrival.open_intake(state, landing(at=LANDED + timedelta(hours=3))) == []
    assert arrival.note_terms(state, surrender_order("c1", "c9"), NOW) == []
    assert arrival.note_request(state, request("c1", "c2"), NOW) == []


def test_repeated_terms_and_requests_are_noted_once() -> None:
    state = known("c1")
    assert arrival.note_terms(state, surrender_order("c1"), NOW) == []
    assert arrival.note_request(state, request("c1"), NOW) == []


def test_an_amendment_before_the_request_is_refused_and_after_it_adds_ungranted_charges(
) -> None:
    amendment = arrival.IntakeAmendment(case_id=CASE, charges=(text("c1"), text("c4")),
                                        reason="new count", intake_event_id="i-2",
                                        recorded_at=NOW)
    refused("request_not_seen", lambda: arrival.note_amendment(domain.initial(), amendment,
                                                               NOW))
    state = known("c1", "c2")
    events = arrival.note_amendment(state, amendment, NOW)
    noted = only(events, ev.CHARGES_AMENDMENT_NOTED)
    assert (noted["added_charge_ids"], noted["removed_charge_ids"]) == (["c4"], ["c2"])
    state = step(state, events)
    state = step(state, arrival.open_intake(state, landing()))
    assert only(arrival.note_amendment(known("c1"), amendment, NOW),
                ev.CHARGES_AMENDMENT_NOTED)["after_intake_opened"] is False
    assert specialty.charge_status(state, "c4") == specialty.NOT_GRANTED
    assert not specialty.prosecutable(state, "c4")
    assert arrival.note_amendment(state, amendment, NOW) == []


# --- Rule 5: initial appearance without unnecessary delay ---------------------------------

@pytest.mark.parametrize(("hours", "late"), [(47, False), (48, False), (49, True)])
def test_an_initial_appearance_after_48_hours_is_flagged_late(hours: int, late: bool) -> None:
    state = landed("c1")
    held_at = LANDED + timedelta(hours=hours)

    events = domain.hold_initial_appearance(state, held_at, "Judge Levy", NOW, POLICY)

    held = only(events, ev.INITIAL_APPEARANCE_HELD)
    assert held["late"] is late
    assert held["hours_elapsed"] == hours and held["limit_hours"] == 48
    assert held["magistrate"] == "Judge Levy" and held["district"] == "EDNY"
    assert events[0].occurred_at == held_at
    appearance = case_view(fold(state, events))["initial_appearance"]
    assert (appearance["status"], appearance["late"]) == ("held", late)


def test_the_appearance_limit_is_configurable() -> None:
    policy = CourtSettings(INITIAL_APPEARANCE_LIMIT_HOURS=24).policy()
    assert policy == Policy(initial_appearance_limit_hours=24)
    state = landed("c1")
    held = only(domain.hold_initial_appearance(state, LANDED + timedelta(hours=30), "J",
                                               NOW, policy), ev.INITIAL_APPEARANCE_HELD)
    assert held["late"] is True and held["hours_elapsed"] == 30 and held["limit_hours"] == 24


def test_a_waiting_intake_is_overdue_only_after_the_limit_by_the_service_clock() -> None:
    stored = case_view(landed("c1"))
    before = as_of(stored, LANDED + timedelta(hours=47), 48)["initial_appearance"]
    after = as_of(stored, LANDED + timedelta(hours=49), 48)["initial_appearance"]
    assert (before["overdue"], after["overdue"]) == (False, True)
    assert before["due_by"] == "2025-08-14T18:00:00.000000Z"
    assert as_of(case_view(appeared(landed("c1"), hours=60)), NOW, 48)[
        "initial_appearance"]["overdue"] is False


def test_an_appearance_is_not_before_the_landing_nor_in_the_future() -> None:
    state = landed("c1")
    refused("date_out_of_order", lambda: domain.hold_initial_appearance(
        state, LANDED - timedelta(minutes=1), "J", NOW, POLICY))
    refused("date_in_future", lambda: domain.hold_initial_appearance(
        state, NOW + timedelta(minutes=1), "J", NOW, POLICY))
    state = appeared(state)
    refused("initial_appearance_already_held", lambda: domain.hold_initial_appearance(
        state, LANDED + timedelta(hours=2), "J", NOW, POLICY))


# --- steps in order -----------------------------------------------------------------------

def test_nothing_is_recorded_before_the_intake_opens() -> None:
    state = known("c1")
    refused("intake_not_opened", lambda: domain.hold_initial_appearance(
        state, LANDED, "J", NOW, POLICY))
    refused("intake_not_opened", lambda: domain.assign_docket(state, "1:09-cr-1", NOW))
    with pytest.raises(NotFound):
        domain.assign_docket(domain.initial(), "1:09-cr-1", NOW)


def test_detention_follows_the_initial_appearance() -> None:
    state = landed("c1")
    refused("initial_appearance_required", lambda: domain.decide_detention(
        state, "detained", NOW.date(), None, NOW))
    state = appeared(state)
    refused("date_out_of_order", lambda: domain.decide_detention(
        state, "detained", LANDED.date() - timedelta(days=1), None, NOW))
    refused("release_conditions_required", lambda: domain.decide_detention(
        state, "released_on_conditions", NOW.date(), None, NOW))
    released = domain.decide_detention(state, "released_on_conditions", NOW.date(),
                                       "home detention, GPS monitor", NOW)
    assert only(released, ev.RELEASED_ON_CONDITIONS)["conditions"] == \
        "home detention, GPS monitor"
    state = step(state, released)
    refused("detention_already_decided", lambda: domain.decide_detention(
        state, "detained", NOW.date(), None, NOW))


def test_arraignment_follows_appearance_detention_and_docket() -> None:
    state = landed("c1")
    refused("initial_appearance_required", lambda: arraign(state, "c1"))
    state = appeared(state)
    refused("detention_hearing_required", lambda: arraign(state, "c1"))
    state = step(state, domain.decide_detention(state, "detained", NOW.date(), None, NOW))
    refused("docket_not_assigned", lambda: arraign(state, "c1"))
    state = step(state, domain.assign_docket(state, "1:09-cr-00466", NOW))
    refused("docket_already_assigned", lambda: domain.assign_docket(state, "x", NOW))
    refused("date_out_of_order", lambda: domain.arraign(
        state, LANDED.date(), Plea.NOT_GUILTY, ["c1"], NOW))

    events = arraign(state, "c1")

    arraigned = only(events, ev.ARRAIGNED)
    assert arraigned == {"case_id": CASE, "arraigned_on": NOW.date().isoformat(),
                         "plea": "not_guilty", "charge_ids": ["c1"],
                         "docket_number": "1:09-cr-00466"}
    state = step(state, events)
    assert case_view(state)["status"] == "arraigned"
    refused("charge_already_arraigned", lambda: arraign(state, "c1"))


# --- rule of specialty --------------------------------------------------------------------

def test_arraignment_outside_the_grant_is_refused() -> None:
    state = ready_to_arraign("c1", "c2", granted=("c1",))

    error = refused("specialty_charge_not_granted", lambda: arraign(state, "c1", "c2"))
    assert "c2" in error.message and "c1" in error.message
    stranger = refused("specialty_charge_not_granted", lambda: arraign(state, "c9"))
    assert "not a charge of this case" in stranger.message
    assert types(arraign(state, "c1")) == [ev.ARRAIGNED]


def test_a_superseding_count_is_blocked_until_mexico_consents() -> None:
    state = ready_to_arraign("c1")

    filed = supersede(state, "c1", "c5")

    assert types(filed) == [ev.SUPERSEDING_INDICTMENT_FILED, ev.SPECIALTY_VIOLATION_BLOCKED]
    indictment = only(filed, ev.SUPERSEDING_INDICTMENT_FILED)
    assert (indictment["added_charge_ids"], indictment["restated_charge_ids"]) == \
        (["c5"], ["c1"])
    assert indictment["specialty_block_applies"] is True
    blocked = only(filed, ev.SPECIALTY_VIOLATION_BLOCKED)
    assert blocked["charge_ids"] == ["c5"] and blocked["granted_charge_ids"] == ["c1"]
    state = step(state, filed)
    assert specialty.charge_status(state, "c5") == specialty.BLOCKED
    refused("specialty_consent_required", lambda: arraign(state, "c1", "c5"))
    refused("specialty_consent_not_requested", lambda: decide_consent(state, True, "c5"))

    asked = request_consent(state, "c5")
    assert only(asked, ev.SPECIALTY_CONSENT_REQUESTED) == {
        "case_id": CASE, "charge_ids": ["c5"], "requested_on": NOW.date().isoformat(),
        "diplomatic_note_reference": "US note 2025-301"}
    state = step(state, asked)
    refused("specialty_consent_already_requested", lambda: request_consent(state, "c5"))
    refused("specialty_consent_required", lambda: arraign(state, "c5"))
    consent = decide_consent(state, True, "c5")
    assert types(consent) == [ev.SPECIALTY_CONSENT_GRANTED]
    assert only(consent, ev.SPECIALTY_CONSENT_GRANTED)["diplomatic_note_reference"] == \
        "SRE note 2025-88"
    state = step(state, consent)

    assert specialty.charge_status(state, "c5") == specialty.CONSENTED
    assert only(arraign(state, "c1", "c5"), ev.ARRAIGNED)["charge_ids"] == ["c1", "c5"]
    charges = {c["charge_id"]: c for c in case_view(state)["charges"]}
    assert (charges["c5"]["prosecutable"], charges["c5"]["blocked"]) == (True, False)
    assert charges["c5"]["origin"] == "superseding" and charges["c5"]["flagged"]


def test_refused_consent_keeps_the_count_blocked() -> None:
    state = ready_to_arraign("c1")
    state = step(state, supersede(state, "c5"))
    state = step(state, request_consent(state, "c5"))

    state = step(state, decide_consent(state, False, "c5"))

    assert specialty.charge_status(state, "c5") == specialty.CONSENT_REFUSED
    refused("specialty_consent_required", lambda: arraign(state, "c5"))
    refused("specialty_consent_not_requested", lambda: decide_consent(state, True, "c5"))
    view = case_view(state)
    assert view["specialty"]["blocked_charge_ids"] == ["c5"]
    assert view["specialty"]["awaiting_consent_charge_ids"] == ["c5"]
    # Diplomacy may try again: a new request, then consent, lifts the block.
    state = step(state, request_consent(state, "c5"))
    state = step(state, decide_consent(state, True, "c5"))
    assert types(arraign(state, "c5")) == [ev.ARRAIGNED]


def test_consent_is_asked_only_for_charges_the_case_has_and_may_not_yet_try() -> None:
    state = ready_to_arraign("c1", "c2", granted=("c1",))
    refused("specialty_consent_not_needed", lambda: request_consent(state, "c1"))
    refused("charge_not_in_case", lambda: request_consent(state, "c9"))
    refused("date_in_future", lambda: domain.request_consent(
        state, ["c2"], NOW.date() + timedelta(days=1), None, NOW))
    # A charge of the request outside the grant can be consented to as well.
    state = step(state, request_consent(state, "c2"))
    refused("date_out_of_order", lambda: domain.decide_consent(
        state, True, ["c2"], NOW.date() - timedelta(days=1), "SRE note", NOW))
    state = step(state, decide_consent(state, True, "c2"))
    assert types(arraign(state, "c2")) == [ev.ARRAIGNED]


def test_a_restated_granted_count_is_not_blocked() -> None:
    state = ready_to_arraign("c1", "c2")
    assert types(supersede(state, "c2", "c1")) == [ev.SUPERSEDING_INDICTMENT_FILED]


def test_national_security_basis_records_that_the_specialty_defence_is_unavailable() -> None:
    state = known("c1", "c2", basis=LegalBasis.NATIONAL_SECURITY)
    opened = only(arrival.open_intake(state, landing()), ev.INTAKE_OPENED)
    assert opened["specialty_defence_available"] is False
    for authority in ("Valencia-Trujillo", "Ker", "Frisbie", "Alvarez-Machain"):
        assert authority in opened["specialty_note"]
    assert opened["granted_charge_ids"] == ["c1", "c2"]
    assert opened["terms_source"] == "national_security_transfer_authorized"
    assert opened["return_obligation"] is False

    state = ready_to_arraign("c1", basis=LegalBasis.NATIONAL_SECURITY)
    filed = supersede(state, "c7")
    assert types(filed) == [ev.SUPERSEDING_INDICTMENT_FILED]
    indictment = only(filed, ev.SUPERSEDING_INDICTMENT_FILED)
    assert indictment["specialty_block_applies"] is False
    assert "Valencia-Trujillo" in indictment["specialty_note"]
    state = step(state, filed)
    assert specialty.charge_status(state, "c7") == specialty.NO_SPECIALTY
    refused("specialty_consent_not_needed", lambda: request_consent(state, "c7"))
    refused("charge_not_in_case", lambda: arraign(state, "c9"))
    assert only(arraign(state, "c1", "c7"), ev.ARRAIGNED)["charge_ids"] == ["c1", "c7"]
    view = case_view(state)["specialty"]
    assert (view["applies"], view["defence_available"]) == (False, False)
    assert "Alvarez-Machain" in view["note"]


def test_a_treaty_case_overtaken_by_a_national_security_transfer_opens_on_that_basis() -> None:
    """Caro Quintero: the SRE had granted, an amparo was pending, and Mexico transferred him on
    the national-security basis. The landing must not wait for a surrender order that will
    never come, and the court records that the specialty defence is unavailable."""
    state = domain.initial()
    state = step(state, arrival.note_request(state, request("c1", "c2"), NOW))
    state = step(state, arrival.note_terms(state, sre_grant("c1", "c2"), NOW))
    assert state.legal_basis is LegalBasis.TREATY
    state = step(state, arrival.note_terms(state, ns_authorization(), NOW))
    assert state.legal_basis is LegalBasis.NATIONAL_SECURITY
    opened = only(arrival.open_intake(state, landing()), ev.INTAKE_OPENED)
    assert opened["legal_basis"] == "national_security"
    assert opened["terms_source"] == "national_security_transfer_authorized"
    assert opened["specialty_defence_available"] is False


def test_a_national_security_landing_needs_no_authorization_event() -> None:
    state = domain.initial()
    state = step(state, arrival.note_request(
        state, request("c1", basis=LegalBasis.NATIONAL_SECURITY), NOW))
    opened = only(arrival.open_intake(state, landing()), ev.INTAKE_OPENED)
    assert opened["terms_source"] is None and opened["specialty_defence_available"] is False
    assert arrival.note_terms(state, ns_authorization(), NOW)  # noted when it comes


# --- temporary surrender (rule 7) ---------------------------------------------------------

def test_temporary_surrender_falls_due_for_return_when_proceedings_end() -> None:
    state = ready_to_arraign("c1", kind="temporary")
    assert case_view(state)["return_to_mexico"]["obligation"] is True

    events = domain.end_proceedings(state, NOW.date(), "convicted", NOW, POLICY)

    assert types(events) == [ev.PROCEEDINGS_ENDED, ev.RETURN_TO_MEXICO_DUE]
    due = only(events, ev.RETURN_TO_MEXICO_DUE)
    assert due["due_on"] == NOW.date().isoformat()
    assert due["conditions"] == "return within 30 days of the verdict"
    state = step(state, events)
    view = case_view(state)
    assert view["return_to_mexico"]["due"] is True and view["status"] == "proceedings_ended"
    refused("proceedings_ended", lambda: arraign(state, "c1"))
    refused("proceedings_ended", lambda: domain.end_proceedings(
        state, NOW.date(), "convicted", NOW, POLICY))


def test_the_return_due_date_is_configurable() -> None:
    state = ready_to_arraign("c1", kind="temporary")
    policy = CourtSettings(RETURN_TO_MEXICO_DUE_DAYS=30).policy()
    events = domain.end_proceedings(state, date(2025, 8, 15), "acquitted", NOW, policy)
    assert only(events, ev.RETURN_TO_MEXICO_DUE)["due_on"] == "2025-09-14"


def test_full_surrender_creates_no_return_obligation() -> None:
    state = ready_to_arraign("c1")
    events = domain.end_proceedings(state, NOW.date(), "convicted", NOW, POLICY)
    assert types(events) == [ev.PROCEEDINGS_ENDED]
    assert only(events, ev.PROCEEDINGS_ENDED)["return_obligation"] is False
    assert case_view(step(state, events))["return_to_mexico"]["due"] is False


def test_proceedings_do_not_end_before_the_landing_or_the_last_arraignment() -> None:
    state = ready_to_arraign("c1")
    refused("date_out_of_order", lambda: domain.end_proceedings(
        state, LANDED.date() - timedelta(days=1), "dismissed", NOW, POLICY))
    state = step(state, arraign(state, "c1"))
    refused("date_out_of_order", lambda: domain.end_proceedings(
        state, LANDED.date(), "dismissed", NOW, POLICY))


# --- refusals change nothing; replay gives the same case ----------------------------------

def _blocked_case() -> CourtCase:
    state = ready_to_arraign("c1", "c2", granted=("c1",))
    return step(state, supersede(state, "c5"))


REFUSALS: dict[str, Callable[[CourtCase], list[NewEvent]]] = {
    "specialty_charge_not_granted": lambda s: arraign(s, "c2"),
    "specialty_consent_required": lambda s: arraign(s, "c5"),
    "specialty_consent_not_requested": lambda s: decide_consent(s, True, "c5"),
    "specialty_consent_not_needed": lambda s: request_consent(s, "c1"),
    "initial_appearance_already_held": lambda s: domain.hold_initial_appearance(
        s, LANDED, "J", NOW, POLICY),
    "detention_already_decided": lambda s: domain.decide_detention(
        s, "detained", NOW.date(), None, NOW),
    "date_in_future": lambda s: domain.end_proceedings(
        s, NOW.date() + timedelta(days=1), "x", NOW, POLICY),
}


@pytest.mark.parametrize("rule", sorted(REFUSALS))
def test_a_refused_command_leaves_the_case_unchanged(rule: str) -> None:
    state = _blocked_case()
    before = copy.deepcopy(state)
    refused(rule, lambda: REFUSALS[rule](state))
    assert state == before
    assert case_view(state) == case_view(before)


def test_replaying_the_stream_gives_the_same_case() -> None:
    state = domain.initial()
    history: list[NewEvent] = []

    def record(events: list[NewEvent]) -> None:
        nonlocal state
        history.extend(events)
        state = fold(state, events)

    record(arrival.note_terms(state, sre_grant("c1"), NOW))
    record(arrival.note_request(state, request("c1", "c2"), NOW))
    record(arrival.note_terms(state, surrender_order("c1", kind="temporary"), NOW))
    record(arrival.open_intake(state, landing()))
    record(domain.assign_docket(state, "1:25-cr-1", NOW))
    record(domain.hold_initial_appearance(state, LANDED + timedelta(hours=50), "J", NOW,
                                          POLICY))
    record(domain.decide_detention(state, "detained", NOW.date(), "danger", NOW))
    record(supersede(state, "c1", "c3"))
    record(request_consent(state, "c3"))
    record(decide_consent(state, True, "c3"))
    record(arraign(state, "c1", "c3"))
    record(domain.end_proceedings(state, NOW.date(), "convicted", NOW, POLICY))

    assert aggregate.fold(domain.initial, domain.evolve, recorded(history)) == state
    view = case_view(state)
    assert view["initial_appearance"]["late"] is True
    assert view["return_to_mexico"] == {"obligation": True, "surrender_kind": "temporary",
                                        "conditions": "return within 30 days of the verdict",
                                        "due": True, "due_on": NOW.date().isoformat()}
    assert datetime.fromisoformat(view["intake"]["landed_at"].replace("Z", "+00:00")) == \
        LANDED.astimezone(UTC)
