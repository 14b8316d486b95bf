"""What the people who carry the cases meet off the demo path, each a defect found by the
review of 5 Dec 2026 (console): forms that could not record an act the API takes, a batch that
lost charges, pages that dropped flights, problems shown nowhere or in the wrong language, a
language switch that led to a 405, the audit's date, roles that open no page, and the live
list on a flight's events. The stand-ins apply the services' own rules where a page depends on
them (judicial's command model and refusal ground, court's request model, the matrix)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.console.steps import may
from services.court.api import SupersedingIndictmentBody
from services.judicial import commands, domain
from shared.errors import RuleViolation
from shared.security import load_matrix

from . import stand_ins
from .stand_ins import ORIGIN, sign_in

JUDICIAL = {"case_id": "RWY-1", "status": "opinion_issued", "version": 5, "clocks": [],
            "surrender_blocked_by": []}

Handler = Callable[[httpx.Request], httpx.Response | None]


def flight(n: int) -> dict[str, Any]:
    return {"flight_id": f"FLT-{n:04d}", "status": "scheduled", "aircraft": f"XC-{n:04d}",
            "capacity": 30, "seats_assigned": 0, "version": 1, "route": ["JFK"],
            "scheduled_departure": f"2025-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"
                                   "T15:00:00.000000Z"}


FLIGHTS = [flight(n) for n in range(1, 131)]  # 130 flights, in transport's order


def standard(request: httpx.Request) -> httpx.Response | None:
    """What every test's stand-in answers unless it answers first: one case, its timeline,
    no flags, a judicial view, and transport's flights with transport's own paging."""
    host, path = request.url.host, request.url.path
    case = stand_ins.one_case(request)
    if case is not None or request.method != "GET":
        return case
    if host == "judicial" and path == "/cases/RWY-1":
        return httpx.Response(200, json=JUDICIAL)
    if host == "transport" and path == "/flights":
        # transport's list: limit defaults to 100 (shared/web/lists.py), ordered by
        # scheduled departure (read_model.list_flights)
        limit = int(request.url.params.get("limit", "100"))
        offset = int(request.url.params.get("offset", "0"))
        page = FLIGHTS[offset:offset + limit]
        return httpx.Response(200, json={"flights": page, "count": len(page)})
    return None


def console(handler: Handler | None = None) -> TestClient:
    """The console; `handler` answers first, then the standard stand-ins, then 404."""
    return stand_ins.console_with(handler, standard)


# --- The SRE decision form cannot record a refusal --------------------------------------

def judicial_sre(sent: list[dict[str, Any]]) -> Handler:
    """Judicial's SRE decision: its command model and its refusal-ground rule, as the API
    runs them (services/judicial/commands.py, domain._require_refusal_ground)."""
    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path == "/cases/RWY-1/sre-decision":
            body = json.loads(request.content)
            sent.append(body)
            command = commands.DecideExtradition.model_validate(body)
            try:
                if command.decision == "refused":
                    domain._require_refusal_ground(command)
            except RuleViolation as refused:
                return httpx.Response(409, json={"error": "rule_violation",
                                                 "rule": refused.rule,
                                                 "detail": refused.message})
            return httpx.Response(200, json={"case_id": "RWY-1", "version": 6,
                                             "status": "refused", "events": []})
        return None
    return handle


def test_a_judicial_clerk_can_record_the_sres_refusal_with_its_ground() -> None:
    """The form offers decision=refused, but judicial refuses every refusal without a ground
    (409 refusal_ground_required), and the form has no ground field: an SRE refusal can never
    be recorded from the console. docs/clerks-and-officers.md lists ground, person_is_mexican
    and domestic_prosecution_referred_on in the sre-decision body."""
    sent: list[dict[str, Any]] = []
    client = console(judicial_sre(sent))
    sign_in(client, "judicial_clerk")
    page = client.get("/cases/RWY-1").text
    form = page.split('id="step-judicial-sre_decision"')[1].split("</details>")[0]
    response = client.post("/cases/RWY-1/steps/judicial.sre_decision", headers=ORIGIN,
                           follow_redirects=False, data={
                               "decision": "refused", "decided_on": "2025-03-02",
                               "notified_on": "2025-03-03", "reason": "Mexican national",
                               "ground": "nationality", "person_is_mexican": "true",
                               "domestic_prosecution_referred_on": "2025-03-04"})
    assert 'name="ground"' in form, "the SRE decision form has no field for the ground"
    assert response.status_code == 303, response.text[-600:]


# --- A CSV batch loses a request's third and later charges -----------------------------

def intake_batch(sent: list[dict[str, Any]]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path == "/cases/batch":
            body = json.loads(request.content)
            sent.append(body)
            return httpx.Response(200, json={
                "created": len(body["requests"]), "failed": 0,
                "results": [{"index": i, "outcome": "created", "case_id": f"RWY-{i + 10}"}
                            for i in range(len(body["requests"]))]})
        return None
    return handle


CSV_THREE_CHARGES = (
    "person.given_names,person.family_names,person.nationality,legal_basis,"
    "requesting_district,prosecutor_office,"
    + ",".join(f"charges.{s}.{f}" for s in range(3) for f in (
        "charge_id", "statute", "description", "mx_equivalent_offence",
        "death_penalty_possible", "death_penalty_law"))
    + ",documents.0.kind,documents.0.reference\n"
    "Rafael,Caro Quintero,Mexican,treaty,EDNY,USAO,"
    "c1,21 USC 848,CCE,delincuencia organizada,false,,"
    "c2,21 USC 963,conspiracy,asociacion delictuosa,false,,"
    "c3,18 USC 1114,murder of a federal agent,homicidio,true,18 USC 3591,"
    "arrest_warrant,W-1\n")


def test_a_csv_batch_row_keeps_every_charge_it_names() -> None:
    """docs/console.md: CSV columns are named like the form's fields (charges.0.statute, ...),
    and intake takes up to 100 charges. The console reads only charges.0 and charges.1
    (submission.CHARGE_SLOTS = 2), so the capital count c3 is silently dropped and the case
    is created without it: assurance never sees a capital charge to cover."""
    sent: list[dict[str, Any]] = []
    client = console(intake_batch(sent))
    sign_in(client, "operator")
    response = client.post("/submit/batch", headers=ORIGIN,
                           data={"format": "csv", "batch": CSV_THREE_CHARGES})
    assert response.status_code == 200
    charges = sent[0]["requests"][0]["charges"]
    assert [c["charge_id"] for c in charges] == ["c1", "c2", "c3"]


def test_the_request_form_and_a_csv_row_carry_the_requests_legal_date() -> None:
    """Intake's Submission takes requested_on (the US request's or diplomatic note's date;
    without it the request counts from its entry). The form has no such field and a CSV
    column of that name is dropped, so a request entered after the fact is dated the day it
    was typed in."""
    sent: list[dict[str, Any]] = []
    client = console(intake_batch(sent))
    sign_in(client, "operator")
    csv_text = CSV_THREE_CHARGES.replace("documents.0.reference\n",
                                         "documents.0.reference,requested_on\n", 1) \
        .replace("W-1\n", "W-1,2025-07-01\n")
    client.post("/submit/batch", headers=ORIGIN, data={"format": "csv", "batch": csv_text})
    form = client.get("/submit").text
    assert sent[0]["requests"][0].get("requested_on") == "2025-07-01"
    assert 'name="requested_on"' in form


# --- The flights page shows only the first 100 flights -----------------------------------

def test_the_flights_page_lists_every_flight() -> None:
    """transport's GET /flights answers 100 flights unless asked for more (ordered by
    scheduled departure), and the console asks once with no limit: from the 101st flight on,
    the newest flights (the ones a marshal is working on) are missing, with no next page."""
    client = console()
    sign_in(client, "transport_officer")
    page = client.get("/flights").text
    assert "FLT-0100" in page
    assert "FLT-0130" in page, "flights after the 100th are not shown"


# --- The amparo ruling form cannot give the notification day -----------------------------

def test_the_amparo_ruling_form_takes_the_notification_day() -> None:
    """judicial's RuleOnAmparo takes notified_on (default: the ruling day); the 10 business
    days to appeal, and so how long a denied suit's suspension holds, run from it
    (domain._appeal_closes_on). Without the field every ruling counts as notified the day it
    was issued: the appeal period closes early, a timely appeal is refused
    (amparo_appeal_period_passed) and the scheduler lifts the suspension early."""
    client = console()
    sign_in(client, "judicial_clerk")
    page = client.get("/cases/RWY-1").text
    form = page.split('id="step-judicial-amparo_ruling"')[1].split("</details>")[0]
    assert 'name="notified_on"' in form


# --- A step the API answers 404 loses the form -------------------------------------------

def assurance_unknown(request: httpx.Request) -> httpx.Response | None:
    if request.method == "POST" and request.url.host == "assurance":
        # what assurance answers for an assurance id it does not hold (domain._assurance)
        return httpx.Response(404, json={"error": "not_found",
                                         "detail": "assurance 'AS-9' not found"})
    return None


def test_a_step_naming_an_unknown_id_keeps_the_case_page_and_the_input() -> None:
    """An assurance officer mistypes the assurance id in the decision form. Assurance answers
    404 (it holds no such assurance); the console throws the case page away for a bare
    "Not found (assurance)" page, and the decision's reason typed into the form is lost.
    Like a 409 or a 422, the answer belongs beside the reopened form."""
    client = console(assurance_unknown)
    sign_in(client, "assurance_officer")
    response = client.post("/cases/RWY-1/steps/assurance.decision", headers=ORIGIN, data={
        "assurance_id": "AS-9", "accepted": "true", "decided_on": "2025-08-01",
        "reason": "the note covers every capital count"})
    assert 'id="step-assurance-decision"' in response.text, "not the case page"
    assert "the note covers every capital count" in response.text


# --- A superseding indictment's 422 is shown nowhere -------------------------------------

def court_invalid(request: httpx.Request) -> httpx.Response | None:
    if request.method == "POST" and request.url.path == "/cases/RWY-1/superseding-indictment":
        try:
            SupersedingIndictmentBody.model_validate(json.loads(request.content))
        except ValidationError as error:
            return httpx.Response(422, json={"error": "invalid_request", "detail": [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in error.errors()]})
        return httpx.Response(200, json={"case_id": "RWY-1", "version": 3})
    return None


def test_a_superseding_indictments_problems_are_shown_beside_its_counts() -> None:
    """The form's field is `counts`; the API's body field is `charges` (steps._counts). The
    court's 422 names loc body.charges..., the console files it under "charges", a name no
    control on the form has, and the reopened form shows no problem at all (just a 422)."""
    client = console(court_invalid)
    sign_in(client, "court_clerk")
    response = client.post("/cases/RWY-1/steps/court.superseding_indictment", headers=ORIGIN,
                           data={"filed_on": "2026-11-02", "counts": ""})
    assert response.status_code == 422
    form = response.text.split('id="step-court-superseding_indictment"')[1] \
        .split("</details>")[0]
    assert 'aria-invalid="true"' in form, "the 422 is shown beside no field"


# --- The judge's and the SRE's duties have no label --------------------------------------

def judicial_duties(request: httpx.Request) -> httpx.Response | None:
    if request.url.host == "judicial" and request.url.path == "/cases/RWY-1":
        # what judicial's view answers for the duties (services/judicial/view._duties)
        return httpx.Response(200, json={**JUDICIAL, "clocks": [
            {"kind": "judge_opinion_due", "started_on": "2025-03-25", "due_on": "2030-03-30",
             "days": 5, "day_counting": "calendar", "enforced": False, "overdue": False},
            {"kind": "sre_decision_due", "started_on": "2025-03-25", "due_on": "2030-04-14",
             "days": 20, "day_counting": "calendar", "enforced": False, "overdue": False}]})
    return None


def test_the_judges_and_the_sres_duties_are_named_in_spanish() -> None:
    """judicial's clocks list includes the duties judge_opinion_due and sre_decision_due; the
    catalogue has no clock.judge_opinion_due / clock.sre_decision_due, so the clock table
    shows the raw ids ("judge opinion due") in English on a Spanish page (and as bare ids in
    English). The unit test checks only ClockKind, which the duties are not."""
    client = console(judicial_duties)
    sign_in(client, "judicial_clerk")
    client.cookies.set("runway_lang", "es")
    page = client.get("/cases/RWY-1").text
    assert "días naturales" in page  # the clock table is there, in Spanish
    assert "judge opinion due" not in page
    assert "sre decision due" not in page


# --- The auditors' "as of" line shows the moment of asking, not the legal date asked -----

def audit_api(request: httpx.Request) -> httpx.Response | None:
    if request.url.host != "audit":
        return None
    path = request.url.path
    if path == "/verify":
        return httpx.Response(200, json={"ok": True, "streams": 1, "events": 1, "messages": 1,
                                         "findings": []})
    if path.endswith("/as-of"):
        # shared/audit/asof.case_as_of on the legal axis: as_of is the instant of asking
        return httpx.Response(200, json={
            "case_id": "RWY-1", "as_of": "2026-05-04T17:00:00.000000Z", "axis": "legal",
            "legal_date": request.url.params["legal_date"],
            "legal_timezone": "America/Mexico_City", "order": "legal", "state": {},
            "timeline": [], "rested_on": [],
            "answer": "The legal position of RWY-1 on 2025-08-11 (America/Mexico_City), ..."})
    if path.endswith("/explain"):
        return httpx.Response(200, json={"case_id": "RWY-1", "blocked": False,
                                         "blockers": []})
    if path.endswith("/actors"):
        return httpx.Response(200, json=[])
    return None


def test_the_case_as_of_a_legal_date_says_which_date() -> None:
    """The auditor asks for the legal position on 11 Aug 2025. The audit API's as_of is the
    instant the question was asked (its `answer` sentence names the date; there is no
    `sentence` key, which the template reads), so the page announces "As of May 4, 2026,
    11:00 AM CST": a date the auditor did not ask about."""
    client = console(audit_api)
    sign_in(client, "auditor")
    page = client.get("/audit", params={"case_id": "RWY-1", "legal_date": "2025-08-11"}).text
    status = re.search(r'<p role="status">(.*?)</p>', page, re.S)
    assert status is not None
    assert "2026" not in status.group(1), status.group(1)
    assert "Aug 11, 2025" in status.group(1) or "2025-08-11" in status.group(1)


# --- The flights' departure column says UTC; its times are in Mexico City time -----------

def test_the_departure_column_names_the_zone_its_times_are_in() -> None:
    """docs/console.md: a flight's departure is shown in LEGAL_TIMEZONE with its zone. The
    cells do say "CST", but the column heading reads "Scheduled departure (UTC)" ("Salida
    programada (UTC)"): a marshal reading the heading plans six hours off."""
    client = console()
    sign_in(client, "transport_officer")
    page = client.get("/flights").text
    assert "3:00 PM" not in page and "9:00 AM CST" in page  # 15:00Z shown in Mexico City time
    assert "(UTC)" not in page


# --- The submit page shows intake's rules only in English --------------------------------

def intake_refuses(status: int) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path == "/cases":
            if status == 409:
                return httpx.Response(409, json={
                    "error": "rule_violation", "rule": "request_reference_unique",
                    "detail": "request_reference 'OIA-1' was already submitted"})
            return httpx.Response(422, json={"error": "invalid_request", "detail": [
                {"loc": ["body", "documents"], "type": "arrest_warrant_required",
                 "msg": "a treaty or simplified request needs a certified arrest warrant"}]})
        return None
    return handle


FILLED = {"person.given_names": "Rafael", "person.family_names": "Caro Quintero",
          "person.nationality": "Mexican", "legal_basis": "treaty",
          "requesting_district": "EDNY", "prosecutor_office": "USAO",
          "request_reference": "OIA-1"}


def test_a_refused_submission_shows_the_rule_in_the_users_language() -> None:
    """A duplicate reference is refused 409 request_reference_unique. The batch rows show the
    rule's statement from the registry in the user's language (rule_texts.shown); the single
    form shows only the rule id and intake's English detail. rules_es.yaml has the Spanish
    statement ("... abre un solo caso")."""
    client = console(intake_refuses(409))
    sign_in(client, "operator")
    client.cookies.set("runway_lang", "es")
    page = client.post("/submit", headers=ORIGIN, data=FILLED).text
    assert "request_reference_unique" in page
    assert "abre un solo caso" in page


def test_intakes_rule_problems_are_shown_in_the_users_language() -> None:
    """Intake's 422 problems carry the rule id as their type (arrest_warrant_required, ...;
    services/intake/domain.py). The page looks for a problem.<type> label, finds none, and
    shows intake's English msg on a Spanish page although rules_es.yaml has the statement."""
    client = console(intake_refuses(422))
    sign_in(client, "operator")
    client.cookies.set("runway_lang", "es")
    page = client.post("/submit", headers=ORIGIN, data=FILLED).text
    assert "orden de aprehensión" in page
    assert "needs a certified arrest warrant" not in page


# --- The sign-in page offers a role that can open no page -------------------------------

def test_every_role_offered_at_sign_in_can_open_the_case_list() -> None:
    """The sign-in list is every role of the matrix but `service`, so it offers "Operations
    (dead letters)". The matrix lets operations read no case list, case or flight (only
    dead letters, which the console has no page for): after signing in, /cases is an error
    page. docs/console.md's "Pages per role" has no operations row."""
    client = console()
    page = client.get("/sign-in").text
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="role"')[1]
                         .split("</select>")[0])
    matrix = load_matrix()
    cannot = [role for role in offered if not may([role], "intake", "GET", "/cases", matrix)]
    assert "operator" in offered and "auditor" in offered
    assert cannot == []


# --- The live case list fails on a flight's events --------------------------------------

def intake_no_flight_timeline(request: httpx.Request) -> httpx.Response | None:
    if request.url.host == "intake" and request.url.path.startswith("/cases/FLT-"):
        return httpx.Response(404, json={"error": "not_found", "detail": "case not found"})
    return None


def test_the_live_list_answers_for_an_event_of_no_case_it_knows() -> None:
    """The list's fragment waits for intake's timeline of the case an event named. Told a
    flight's id (what the hub named for a flight's events, keyed by the flight), intake
    answered 404 and the fragment an error page: the script marked the list "error" and did
    not refresh it (the hub now names the flight's cases; see test_live)."""
    client = console(intake_no_flight_timeline)
    sign_in(client, "auditor")
    response = client.get("/cases/live", params={"event": "e-9", "case": "FLT-3FF703B467"})
    assert response.status_code == 200
    assert "Rafael Caro Quintero" in response.text


# --- Switching language on a re-rendered form page leads to 405 ------------------------

def judicial_refuses(request: httpx.Request) -> httpx.Response | None:
    if request.method == "POST" and request.url.host == "judicial":
        return httpx.Response(409, json={"error": "rule_violation",
                                         "rule": "formal_request_missing",
                                         "detail": "no formal request yet"})
    return None


def test_switching_language_on_a_refused_step_keeps_the_user_on_the_case() -> None:
    """A refused step is rendered at the POST's URL (/cases/RWY-1/steps/judicial.hearing).
    The header's language switch sends request.url.path as `next`, so choosing Spanish to
    read the refusal redirects to GET /cases/RWY-1/steps/judicial.hearing, a route that only
    takes POST: the clerk gets 405 Method Not Allowed instead of the case."""
    client = console(judicial_refuses)
    sign_in(client, "judicial_clerk")
    refused = client.post("/cases/RWY-1/steps/judicial.hearing", headers=ORIGIN,
                          data={"held_on": "2025-03-01"})
    assert refused.status_code == 409
    nxt = re.search(r'name="next" value="([^"]*)"', refused.text)
    assert nxt is not None
    switched = client.post("/language", headers=ORIGIN,
                           data={"language": "es", "next": nxt.group(1)})
    assert switched.status_code == 200, (nxt.group(1), switched.status_code)
    assert "Qué detiene el caso" in switched.text


# --- The assurance form asks for a scope without naming the values it takes -------------

def test_the_assurance_form_names_the_scopes_it_takes() -> None:
    """assurance's AssuranceBody.scope is a list of not_sought | not_imposed | not_carried_out.
    The form's scope is a free-text list whose only hint is "e.g. c1, c2"; a scope written
    as the note words it ("not imposed") comes back "Choose one of the listed values." with no
    values listed anywhere on the page."""
    client = console()
    sign_in(client, "assurance_officer")
    page = client.get("/cases/RWY-1").text
    form = page.split('id="step-assurance-assurance"')[1].split("</details>")[0]
    assert "not_imposed" in form or "not imposed" in form.lower(), \
        "the scope's values are named nowhere on the form"
