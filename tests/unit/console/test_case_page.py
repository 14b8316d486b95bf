"""The case page, the list and the flight page as each role meets them end to end (the second
console review of 5 Dec 2026): a service that did not answer is said so, not read as "nothing
holds the case"; a surrender done is no hold; the transfer's flag and the court's bars show; a
diverted flight says where it went; a live update after the session ended leads to sign-in;
unreadable data is not "erased"; a service's failure is not a refusal. Stand-in answers are
made by each service's own code and checked against its response model."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.assurance import domain as assurance_domain
from services.assurance.responses import CaseView as AssuranceCaseView
from services.assurance.view import case_view as assurance_view
from services.court.responses import CaseView as CourtCaseView
from services.court.view import as_of as court_as_of
from services.court.view import case_view as court_view
from services.judicial import commands as judicial_commands
from services.judicial.responses import CaseView as JudicialCaseView
from services.judicial.state import ClockKind
from services.judicial.view import case_view as judicial_view
from services.transport.responses import FlightView
from tests.unit.assurance.helpers import charge, submitted
from tests.unit.console import stand_ins
from tests.unit.console.stand_ins import DETAIL, answers, sign_in
from tests.unit.court import helpers as court
from tests.unit.judicial import support as judicial
from tests.unit.judicial.test_late_appeal_voids_expiry import appeal, expired_after_the_lift

Handler = Callable[[httpx.Request], httpx.Response | None]

JUDICIAL_PLAIN = {"case_id": "RWY-1", "status": "opinion_issued", "version": 5, "clocks": [],
                  "surrender_blocked_by": []}


# One case, no flags; any other read of a service that has not the case: 404, as the
# services answer.
standard = stand_ins.one_case


def console(handler: Handler | None = None) -> TestClient:
    """The console; `handler` answers first, then the standard stand-ins, then 404."""
    return stand_ins.console_with(handler, standard)


def together(*handlers: Handler) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response | None:
        for h in handlers:
            found = h(request)
            if found is not None:
                return found
        return None
    return handle


def section(page: str, heading_id: str) -> str:
    """The page's <section> whose heading has this id."""
    return page.split(f'id="{heading_id}"')[1].split("</section>")[0]


def judicial_answer(state: Any, day: date) -> dict[str, Any]:
    """Judicial's GET /cases/{id}: its own view of the state, as its response model has it."""
    view = {**judicial_view(state, day), "case_id": "RWY-1",
            "updated_at": "2026-04-11T18:00:00.000000Z"}
    return JudicialCaseView.model_validate(view).model_dump(mode="json")


# --- A service that is down is said so, not read as "nothing holds the case" -------------

def down(host: str) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == host:
            raise httpx.ConnectError("connection refused", request=request)
        return None
    return handle


def test_a_case_page_does_not_say_nothing_holds_the_case_when_judicial_is_down() -> None:
    """Judicial (up) answers an amparo suspension holding the surrender, with the amparo
    window's clock. With judicial down, the page shows "No clocks" and "Nothing holds the case
    back now." with no word that judicial did not answer: _case_view's `optional` turns
    Unreachable into None, the same as "the case has not reached judicial"."""
    up = {**JUDICIAL_PLAIN, "status": "sre_granted",
          "surrender_blocked_by": ["amparo_suspension_active"]}
    page_up = console(answers("judicial", "/cases/RWY-1", up))
    sign_in(page_up, "judicial_clerk")
    assert 'data-rule="amparo_suspension_active"' in page_up.get("/cases/RWY-1").text

    client = console(down("judicial"))
    sign_in(client, "judicial_clerk")
    response = client.get("/cases/RWY-1")
    holds = section(response.text, "holds-heading")
    assert "Nothing holds the case back now." not in holds, \
        "judicial did not answer, and the page says nothing holds the case back"


# --- Holds: a surrender ordered, or a transfer authorised, holds nothing back ------------

def surrendered() -> dict[str, Any]:
    """A treaty case whose surrender judicial has ordered (the pickup window runs)."""
    case = judicial.fire(judicial.granted_treaty_case(), ClockKind.AMPARO_WINDOW,
                         judicial.at("2026-03-24"))
    state = judicial.run(case, judicial.surrender("2026-04-10"),
                         now=judicial.at("2026-04-11", 12))
    return judicial_answer(state, date(2026, 4, 12))


def transfer_authorized() -> dict[str, Any]:
    """A national-security case whose transfer has been authorised."""
    state = judicial.run(judicial.opened("national_security"),
                         judicial_commands.AuthorizeNationalSecurityTransfer.model_validate({
                             "authorized_at": "2026-01-02T16:00:00Z", "authority": "SEGOB",
                             "us_request_reference": "US-NS-1"}))
    return judicial_answer(state, date(2026, 1, 3))


@pytest.mark.parametrize("made", [surrendered, transfer_authorized],
                         ids=["surrender_ordered", "ns_transfer_authorized"])
def test_a_case_whose_surrender_is_done_is_not_shown_as_held_back(
        made: Callable[[], dict[str, Any]]) -> None:
    """Judicial's surrender_blocked_by is "the rules a surrender order would break now": once
    the surrender is ordered it is [surrender_already_ordered]; on the national-security
    basis it is always [national_security_has_no_judicial_steps]. The console lists each as
    "What holds the case back" (held by judicial (surrender)), on the page of a case on its
    way to the US. The audit's explain for the same case (services/judicial/audit.py
    blockers: only the amparo holds, a release, or no surrender yet) names nothing."""
    view = made()
    assert view["surrender_blocked_by"]  # judicial's own answer names a rule
    client = console(answers("judicial", "/cases/RWY-1", view))
    sign_in(client, "judicial_clerk")
    holds = section(client.get("/cases/RWY-1").text, "holds-heading")
    for rule in view["surrender_blocked_by"]:
        assert f'data-rule="{rule}"' not in holds, f"{rule} is shown as holding the case back"


# --- A live update after the session ended leads to sign-in, not into the page ----------

def expired(request: httpx.Request) -> httpx.Response | None:
    """Every service: the token has expired (as shared/web/auth answers it)."""
    return httpx.Response(401, json={"error": "unauthorized", "detail": "token expired"})


@pytest.mark.parametrize("fragment", ["/cases/RWY-1/live", "/cases/live"])
def test_a_live_update_after_the_token_expired_is_not_the_sign_in_page(fragment: str) -> None:
    """console.js fetches the fragment (fetch follows redirects), checks only response.ok and
    puts the body into #case-live / #cases-live. With an expired token the fragment route
    redirects to /sign-in?next=<the fragment URL>, which answers 200: the whole sign-in page
    (header, language switch, form) is put inside the case page, and signing in there leads
    to the bare fragment."""
    client = console(expired)
    sign_in(client, "judicial_clerk")
    response = client.get(fragment)  # as fetch() does: redirects followed
    assert not (response.is_success and 'action="/sign-in"' in response.text), \
        f"the fragment answered {response.status_code} with the sign-in page " \
        f"(via {[str(r.headers.get('location')) for r in response.history]})"


# --- The case page shows that custody passed without clearance ---------------------------

def cleared_after_transfer() -> dict[str, Any]:
    """Assurance's view of a national-security case whose custody passed to the US on 20 Jan
    and whose DOJ commitment is dated 22 Jan (as tests/unit/assurance/test_legal_time.py)."""
    entered = datetime(2026, 3, 2, 15, tzinfo=UTC)
    state = assurance_domain.initial()
    state = assurance_domain.preview(state, assurance_domain.take_charges(
        state, submitted(charge("c1"), charge("c2", capital=False),
                         basis="national_security"), entered))
    state = assurance_domain.preview(state, assurance_domain.note_transfer(
        state, "RWY-1", datetime(2026, 1, 20, 16, tzinfo=UTC), "transport-evt", entered,
        recorded_at=entered))
    state = assurance_domain.preview(state, assurance_domain.record_doj_commitment(
        state, "DOJ-NS-2026-01", date(2026, 1, 22), "US DOJ", "will not seek death", entered))
    view = {**assurance_view(state), "case_id": "RWY-1"}
    return AssuranceCaseView.model_validate(view).model_dump(mode="json")


def test_the_case_page_shows_that_custody_passed_without_clearance() -> None:
    """The case list marks this case flagged (assurance's transfer_flagged). Its own page
    shows nothing of it: the clearance is now granted (clearance.blocked is null), so holds
    say "Nothing holds the case back now.", and assurance's transfer.flag (rule
    cleared_after_transfer, the two legal dates) is read and never shown."""
    view = cleared_after_transfer()
    assert view["transfer"]["flagged"] and view["clearance"]["blocked"] is None
    flag = view["transfer"]["flag"]
    client = console(answers("assurance", "/cases/RWY-1", view))
    sign_in(client, "assurance_officer")
    page = client.get("/cases/RWY-1").text
    assert flag["rule"] in page or flag["statement"] in page, \
        "the case page does not say custody passed to the US before the clearance"


# --- A case in the US court shows what the court holds back ------------------------------

def in_court() -> dict[str, Any]:
    """Court's view: landed on 12 Aug, c1 granted, c2 not (the rule of specialty bars it),
    the initial appearance not held and overdue (court/view.as_of)."""
    state = court.landed("c1", "c2", granted=["c1"])
    view = {**court_as_of(court_view(state), court.NOW, 48.0), "case_id": "RWY-1",
            "person_name": "Rafael Caro Quintero"}
    return CourtCaseView.model_validate(view).model_dump(mode="json")


def test_a_case_in_the_us_court_shows_what_the_court_holds_back() -> None:
    """_case_view reads court's GET /cases/{id} and passes it to the page, which never uses
    it. A court clerk opening a landed case sees no appearance deadline (overdue) and not
    that count c2 is barred by the rule of specialty: "Nothing holds the case back now."."""
    view = in_court()
    [barred] = [c for c in view["charges"] if c["blocked_by"]]
    assert view["initial_appearance"]["overdue"] is True
    client = console(answers("court", "/cases/RWY-1", view))
    sign_in(client, "court_clerk")
    page = client.get("/cases/RWY-1").text
    assert barred["blocked_by"][0] in page, \
        f"count {barred['charge_id']} barred by {barred['blocked_by']} is not shown"


# --- A flight's page says where it was diverted and where each person got off -----------

def diverted_flight() -> dict[str, Any]:
    flight = {
        "flight_id": "FLT-0007", "version": 9, "status": "diverted", "aircraft": "XC-PFM",
        "capacity": 30, "seats_assigned": 1, "seats_free": 29, "departure_base": "MEX",
        "scheduled_departure": "2026-05-04T15:00:00.000000Z",
        "route": [{"airport": "LAX", "district": "CDCA", "city": "Los Angeles",
                   "landed_at": None}],
        "departed_at": "2026-05-04T15:20:00.000000Z",
        "diversion": {"diverted_to": "SAN", "reason": "weather at LAX",
                      "diverted_at": "2026-05-04T17:00:00.000000Z",
                      "landed_at": "2026-05-04T17:40:00.000000Z"},
        "cancellation": None,
        "manifest": [{
            "case_id": "RWY-1", "person_name": "Rafael Caro Quintero",
            "destination_airport": "LAX", "destination_district": "CDCA",
            "assigned_at": "2026-05-01T15:00:00.000000Z",
            "custody": {"transferred_at": "2026-05-04T14:30:00.000000Z", "place": "AICM",
                        "mexican_officer": "FGR-1", "us_marshal": "USMS-1"},
            "departed_at": "2026-05-04T15:20:00.000000Z",
            "landed": {"airport": "SAN", "landed_at": "2026-05-04T17:40:00.000000Z"}}],
        "removed": []}
    return FlightView.model_validate(flight).model_dump(mode="json")


def test_a_diverted_flights_page_says_where_it_went_and_where_each_person_got_off() -> None:
    """Transport answers the diversion (SAN, weather) and each manifest entry's landing
    airport. The flight page shows the status "Diverted", the planned destination LAX
    (CDCA) and "Landed: Yes", and nowhere SAN: the marshals meeting the person cannot tell
    from the console where the person is."""
    client = console(answers("transport", "/flights/FLT-0007", diverted_flight()))
    sign_in(client, "transport_officer")
    page = client.get("/flights/FLT-0007").text
    assert "SAN" in page, "the diversion airport, where the person got off, is not shown"


# --- Unreadable personal data is not shown as erased -------------------------------------

def test_unreadable_personal_data_is_not_shown_as_erased() -> None:
    """Intake answers personal_data "unreadable" (the key store does not open the sealed
    data: a key-store fault, not an erasure) with the names null. The page writes
    "[erased]" in the name fields, as for a privacy officer's erasure."""
    detail: dict[str, Any] = copy.deepcopy(DETAIL)
    detail["request"]["person"].update(given_names=None, family_names=None,
                                       personal_data="unreadable")
    detail["full_name"] = None
    client = console(answers("intake", "/cases/RWY-1", detail))
    sign_in(client, "judicial_clerk")
    person = section(client.get("/cases/RWY-1").text, "person-heading")
    assert "Unreadable" in person
    assert "[erased]" not in person, "names the key store could not open are shown as erased"


# --- The case list does not say no case is flagged when assurance did not answer --------

def test_the_flagged_count_is_not_zero_when_assurance_did_not_answer() -> None:
    """_flagged_cases turns any assurance failure into "no case is flagged". The list shows
    "Flagged: 0" (and the flagged filter finds none) with no notice, although a case whose
    custody passed without clearance may be among them."""
    client = console(down("assurance"))
    sign_in(client, "auditor")
    page = client.get("/cases").text
    assert 'data-count="flagged">0<' not in page, \
        "assurance did not answer and the list says 0 cases are flagged"


# --- A service's 500 is not shown as a refusal -------------------------------------------

def test_a_services_internal_error_is_not_shown_as_a_refusal() -> None:
    """Judicial answers 500 (shared/web/errors.py: internal_error). The error page says "The
    judicial service refused the request." / "rechazó la solicitud": a refusal is a decision
    under a rule (409), and a clerk reading it does not try again."""
    client = console(answers("judicial", "/cases/RWY-1",
                             {"error": "internal_error",
                              "detail": "an internal error occurred; see the logs"}, 500))
    sign_in(client, "judicial_clerk")
    response = client.get("/cases/RWY-1")
    assert response.status_code == 502
    assert "refused the request" not in response.text


# --- A release an appeal filed in time showed void is named on the page ---------------------

def test_a_release_voided_by_a_late_entered_appeal_is_named_on_the_case_page() -> None:
    """Judicial's own view after the appeal (tests/unit/judicial/test_late_appeal_voids_expiry):
    the person is held by the suspension again (transport says so, once it has read it), and
    the release recorded for 25 Jul was void; if it was carried out, someone must act, so the
    page says so."""
    state = judicial.run(expired_after_the_lift(), appeal("2026-06-18"),
                         now=judicial.at("2026-09-01", 12))
    client = console(answers("judicial", "/cases/RWY-1", judicial_answer(state,
                                                                       date(2026, 9, 1))))
    sign_in(client, "judicial_clerk")
    page = client.get("/cases/RWY-1").text
    notice = page.split('id="release-voided"')[1].split("</p>")[0]
    assert "Jul 25, 2026" in notice and "void" in notice
