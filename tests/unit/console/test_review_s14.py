"""The console's review s14 (F1-F7): a death-penalty answer left blank or written as a
spreadsheet writes it is never recorded as "no"; a case the other services have not opened yet
does not say nothing holds it; dates in the notices, the APIs' problems, why someone was taken
off a flight and the signed-in role are in the user's language; the request form is offered
only to a role that may submit. Stand-in answers are made by each service's own model or view
(intake's Charge, judicial's ExtendEvidencePeriod and case_view, assurance's view, transport's
FlightView)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.console import i18n, rule_texts, submission
from services.console.steps import STEPS
from services.intake.events import Charge
from services.judicial import commands
from services.transport import domain as transport_domain
from services.transport.responses import FlightView
from shared.rules import law
from shared.settings import REPO_ROOT
from tests.unit.console import stand_ins
from tests.unit.console.stand_ins import ORIGIN, answers, sign_in
from tests.unit.console.test_case_page import cleared_after_transfer, judicial_answer
from tests.unit.judicial import support as judicial
from tests.unit.judicial.test_late_appeal_voids_expiry import appeal, expired_after_the_lift

Handler = Callable[[httpx.Request], httpx.Response | None]


def console(*handlers: Handler | None) -> TestClient:
    """The console; each handler answers first, then intake's one case, then 404."""
    return stand_ins.console_with(*handlers, stand_ins.one_case)


def visible(html: str) -> str:
    """The page's text without its tags and attribute values."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


# --- F1: a death-penalty answer is yes or no, never a blank read as no --------------------

def intake_submission(sent: list[dict[str, Any]]) -> Handler:
    """Intake's POST /cases and /cases/batch: records the body and validates each charge with
    intake's own Charge model (death_penalty_possible has no default: the API requires it).
    The batch answers each request on its own row, as intake does."""
    def problems_of(one: dict[str, Any], prefix: list[Any]) -> list[dict[str, Any]]:
        found = []
        for n, charge in enumerate(one.get("charges", [])):
            try:
                Charge.model_validate(charge)
            except ValidationError as error:
                found += [{"loc": [*prefix, "charges", n, *e["loc"]], "msg": e["msg"],
                           "type": e["type"]} for e in error.errors()]
        return found

    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.method != "POST" or request.url.host != "intake":
            return None
        body = json.loads(request.content)
        sent.append(body)
        if request.url.path == "/cases/batch":
            results = []
            for i, one in enumerate(body["requests"]):
                problems = problems_of(one, ["body", "requests", i])
                results.append({"index": i, "outcome": "invalid", "errors": problems}
                               if problems else
                               {"index": i, "outcome": "created", "case_id": f"RWY-{i + 10}"})
            failed = sum(r["outcome"] != "created" for r in results)
            return httpx.Response(200, json={"created": len(results) - failed,
                                             "failed": failed, "results": results})
        problems = problems_of(body, ["body"])
        if problems:
            return httpx.Response(422, json={"error": "invalid_request", "detail": problems})
        return httpx.Response(201, json={"case_id": "RWY-1", "version": 1})
    return handle


REQUEST_FORM = {"person.given_names": "Rafael", "person.family_names": "Caro Quintero",
                "person.nationality": "Mexican", "legal_basis": "treaty",
                "requesting_district": "EDNY", "prosecutor_office": "USAO",
                "charges.0.charge_id": "c1", "charges.0.statute": "18 USC 1114",
                "charges.0.description": "murder of a federal agent",
                "charges.0.max_penalty_us.years": "99",
                "charges.0.mx_equivalent_offence": "homicidio",
                "charges.0.max_penalty_mx.years": "60",
                # the operator left "Death penalty possible (required)" at "—"
                "charges.0.death_penalty_possible": "",
                "charges.0.death_penalty_law": "18 USC 3591"}
ANSWER = "charges.0.death_penalty_possible"


def csv_of(*rows: dict[str, str]) -> str:
    columns = [*REQUEST_FORM, "charges.0.max_penalty_us.life"]
    return "\n".join([",".join(columns),
                      *(",".join(row.get(c, "") for c in columns) for row in rows)])


def problems_beside(page: str, field_id: str) -> str:
    return visible(page.split(f'id="{field_id}-problems"')[1].split(">", 1)[1]
                   .split("</ul>")[0]).strip()


def test_f1_a_blank_death_penalty_answer_is_not_recorded_as_no() -> None:
    """Left at "—", the answer was sent as death_penalty_possible=false: a capital count
    recorded as not capital, and assurance clears the case at once. It is left out, so intake
    says it is required, beside the field, and what was typed stays."""
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, "operator")
    response = client.post("/submit", headers=ORIGIN, data=REQUEST_FORM,
                           follow_redirects=False)
    charge = sent[0]["charges"][0]
    assert "death_penalty_possible" not in charge, \
        f"a blank answer was sent as {charge['death_penalty_possible']!r}"
    assert response.status_code == 422  # intake's "required" beside the field, input kept
    assert problems_beside(response.text, "f-charges-0-death_penalty_possible") == "Required."
    assert 'value="murder of a federal agent"' in response.text


def test_f1_a_csv_row_saying_true_in_capitals_is_not_recorded_as_no() -> None:
    """A spreadsheet writes booleans as TRUE / FALSE; "TRUE" was compared with "true" and
    sent as false."""
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, "operator")
    client.post("/submit/batch", headers=ORIGIN, data={
        "format": "csv", "batch": csv_of({**REQUEST_FORM, ANSWER: "TRUE"})})
    charge = sent[0]["requests"][0]["charges"][0]
    assert charge.get("death_penalty_possible") is not False, \
        "TRUE in the CSV was sent to intake as death_penalty_possible=false"
    assert charge["death_penalty_possible"] is True


@pytest.mark.parametrize(("typed", "read"), [
    ("true", True), ("TRUE", True), ("Yes", True), ("sí", True), ("SÍ", True), ("1", True),
    (" yes ", True), ("false", False), ("FALSE", False), ("no", False), ("No", False),
    ("0", False)])
def test_f1_a_yes_no_answer_is_read_in_its_usual_spellings(typed: str, read: bool) -> None:
    body = submission.body_of({**REQUEST_FORM, ANSWER: typed,
                               "charges.0.max_penalty_us.life": typed})
    charge = body["charges"][0]
    assert (charge["death_penalty_possible"], charge["max_penalty_us"]["life"]) == (read, read)
    assert submission.unreadable_answers(body) == []


def test_f1_a_form_answer_neither_yes_nor_no_is_refused_beside_its_field_not_sent() -> None:
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, "operator")
    client.cookies.set("runway_lang", "es")
    response = client.post("/submit", headers=ORIGIN, data={**REQUEST_FORM, ANSWER: "maybe"})
    assert response.status_code == 422 and sent == []
    problem = problems_beside(response.text, "f-charges-0-death_penalty_possible")
    assert "Responda sí o no" in problem and "maybe" in problem
    assert 'value="Caro Quintero"' in response.text


def test_f1_a_csv_cell_neither_yes_nor_no_is_refused_on_its_row_and_column() -> None:
    """Row 2 says "probably": it is answered on its row, naming its column and what it says,
    and not sent; row 1 goes to intake; the pasted text is kept to correct."""
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, "operator")
    text = csv_of({**REQUEST_FORM, ANSWER: "no"},
                  {**REQUEST_FORM, "charges.0.charge_id": "c2", ANSWER: "probably",
                   "charges.0.max_penalty_us.life": "maybe"})
    response = client.post("/submit/batch", headers=ORIGIN, data={"format": "csv",
                                                                  "batch": text})
    assert response.status_code == 422
    assert [[c["charge_id"] for c in r["charges"]] for r in sent[0]["requests"]] == [["c1"]]
    rows = response.text.split("<tbody>")[-1].split("</tbody>")[0].split("</tr>")
    created, refused = visible(rows[0]), visible(rows[1])
    assert "RWY-10" in created
    assert refused.split()[0] == "2"
    assert "charges.0.death_penalty_possible" in refused and '"probably"' in refused
    assert "charges.0.max_penalty_us.life" in refused and '"maybe"' in refused
    assert "probably" in response.text.split('id="batch-text"')[1].split("</textarea>")[0]


def test_f1_a_blank_csv_cell_is_named_by_intake_on_its_row() -> None:
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, "operator")
    response = client.post("/submit/batch", headers=ORIGIN,
                           data={"format": "csv", "batch": csv_of(REQUEST_FORM)})
    assert "death_penalty_possible" not in sent[0]["requests"][0]["charges"][0]
    row = visible(response.text.split("<tbody>")[-1].split("</tr>")[0])
    assert "charges.0.death_penalty_possible" in row and "Required." in row


# --- F2: a case not opened yet by the services that hold it back ---------------------------

def test_f2_a_case_no_other_service_holds_yet_is_not_shown_as_held_by_nothing() -> None:
    """Right after a submission judicial, assurance and transport answer 404: the page said
    "Nothing holds the case back now." of a case with no SRE decision, surrender order or
    clearance. It says which services have not seen the case yet."""
    client = console()  # intake knows the case; every other service answers 404
    sign_in(client, "operator")
    page = client.get("/cases/RWY-1?recorded=submitted").text
    holds = page.split('id="holds-heading"')[1].split("</section>")[0]
    assert "Nothing holds the case back now." not in holds
    assert "Not seen yet by judicial, assurance, transport" in visible(holds)


def test_f2_only_the_services_that_have_not_opened_the_case_are_named() -> None:
    judicial_view = {"case_id": "RWY-1", "status": "hearing_held", "version": 6,
                     "clocks": [], "surrender_blocked_by": []}
    client = console(answers("judicial", "/cases/RWY-1", judicial_view))
    sign_in(client, "judicial_clerk")
    client.cookies.set("runway_lang", "es")
    holds = visible(client.get("/cases/RWY-1").text.split('id="holds-heading"')[1]
                    .split("</section>")[0])
    assert "Aún no han visto el caso: assurance, transport." in holds
    assert "Nada detiene el caso ahora." not in holds


# --- F3: dates inside the notices in the user's language -----------------------------------

def voided_release_view() -> dict[str, Any]:
    state = judicial.run(expired_after_the_lift(), appeal("2026-06-18"),
                         now=judicial.at("2026-09-01", 12))
    view = judicial_answer(state, date(2026, 9, 1))
    assert view["release_voided_on"] == "2026-07-25"
    return view


@pytest.mark.parametrize(("language", "written"), [("es", "25 jul 2026"),
                                                   ("en", "Jul 25, 2026")])
def test_f3_the_voided_release_notice_writes_its_date_in_the_users_language(
        language: str, written: str) -> None:
    client = console(answers("judicial", "/cases/RWY-1", voided_release_view()))
    sign_in(client, "judicial_clerk")
    client.cookies.set("runway_lang", language)
    page = client.get("/cases/RWY-1").text
    notice = visible(page.split('id="release-voided"')[1].split("</p>")[0])
    assert written in notice and "2026-07-25" not in notice, notice


def test_f3_the_transfer_flag_writes_its_dates_in_the_users_language() -> None:
    view = cleared_after_transfer()
    flag = view["transfer"]["flag"]
    client = console(answers("assurance", "/cases/RWY-1", view))
    sign_in(client, "assurance_officer")
    page = visible(client.get("/cases/RWY-1").text)
    assert flag["transfer_legal_date"] not in page, \
        f"the flag shows {flag['transfer_legal_date']} as ISO text"
    transfer = date.fromisoformat(flag["transfer_legal_date"])
    assert f"custody passed on {transfer:%b} {transfer.day}, {transfer.year}" in page


# --- F4: the APIs' problems in the user's language -----------------------------------------

def judicial_validates(request: httpx.Request) -> httpx.Response | None:
    """Judicial's evidence-extension: its own command model decides the 422."""
    if request.method == "POST" and request.url.path == "/cases/RWY-1/evidence-extension":
        try:
            commands.ExtendEvidencePeriod.model_validate(json.loads(request.content))
        except ValidationError as error:
            return httpx.Response(422, json={"error": "invalid_request", "detail": [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"],
                 **({"ctx": e["ctx"]} if "ctx" in e else {})} for e in error.errors()]})
        return httpx.Response(200, json={"case_id": "RWY-1", "version": 7, "events": []})
    if request.method == "GET" and request.url.host == "judicial":
        return httpx.Response(200, json={"case_id": "RWY-1", "status": "hearing_held",
                                         "version": 6, "clocks": [],
                                         "surrender_blocked_by": []})
    return None


def test_f4_a_spanish_clerk_reads_the_apis_problem_in_spanish() -> None:
    """additional_days 0 (the API takes 1 to 180): judicial answers 422 greater_than_equal,
    shown to a Spanish clerk as pydantic's "Input should be greater than or equal to 1"."""
    client = console(judicial_validates)
    sign_in(client, "judicial_clerk")
    client.cookies.set("runway_lang", "es")
    page = client.post("/cases/RWY-1/steps/judicial.evidence_extension", headers=ORIGIN,
                       data={"extended_on": "2026-03-01", "additional_days": "0",
                             "reason": "peritaje pendiente"}).text
    problems = page.split('id="judicial-evidence_extension-additional_days-problems"')[1] \
        .split(">", 1)[1].split("</ul>")[0]
    assert "Input should be" not in problems, visible(problems).strip()
    assert visible(problems).strip() == "Debe ser 1 o más."


def test_f4_a_problem_without_the_values_its_text_names_is_still_in_the_users_language(
) -> None:
    """Intake's batch answers carry no ctx; a value_error's detail is the service's own."""
    t = i18n.translator("es")
    assert i18n.problem_text(t, {"type": "greater_than_equal", "msg": "Input should be"}) \
        == "El número es demasiado pequeño."
    assert i18n.problem_text(t, {"type": "value_error",
                                 "msg": "Value error, stops listed more than once"}) \
        == "No es válido (según el servicio: stops listed more than once)"
    assert i18n.problem_text(t, {"type": "something_new", "msg": "as the API says"}) \
        == "as the API says"


# The pydantic error types a JSON body's field can raise, by the JSON Schema keyword that
# publishes the constraint.
TYPES_BY_KEYWORD = {
    "required": ("missing",), "minimum": ("greater_than_equal",),
    "exclusiveMinimum": ("greater_than",), "maximum": ("less_than_equal",),
    "exclusiveMaximum": ("less_than",), "minLength": ("string_too_short",),
    "maxLength": ("string_too_long",), "pattern": ("string_pattern_mismatch",),
    "minItems": ("too_short",), "maxItems": ("too_long",),
    "enum": ("literal_error", "enum"), "const": ("literal_error",)}
TYPES_BY_TYPE = {
    "string": ("string_type",), "integer": ("int_parsing", "int_type", "int_from_float"),
    "number": ("float_parsing", "float_type"), "boolean": ("bool_parsing", "bool_type"),
    "array": ("list_type",), "object": ("model_type",)}
TYPES_BY_FORMAT = {
    "date": ("date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"),
    "date-time": ("datetime_from_date_parsing", "datetime_type", "timezone_aware")}


def _types(document: dict[str, Any], schema: Any, seen: set[str]) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name in seen:
            return set()
        return _types(document, document["components"]["schemas"][name], seen | {name})
    found = {t for keyword, types in TYPES_BY_KEYWORD.items() if keyword in schema
             for t in types}
    found |= set(TYPES_BY_TYPE.get(schema.get("type", ""), ()))
    found |= set(TYPES_BY_FORMAT.get(schema.get("format", ""), ()))
    if schema.get("additionalProperties") is False:
        found.add("extra_forbidden")
    parts = [*schema.get("properties", {}).values(), schema.get("items"),
             *schema.get("anyOf", ()), *schema.get("allOf", ()), *schema.get("oneOf", ())]
    for part in parts:
        found |= _types(document, part, seen)
    return found


def test_f4_every_problem_type_the_published_request_models_raise_has_a_text() -> None:
    """The bodies of every step's API and of intake's submission (contracts/openapi), plus
    what no schema shows: a model's own check (value_error) and the console's yes_no."""
    raised = {"value_error", "yes_no"}
    routes = {(step.service, step.path) for step in STEPS.values()} | {("intake", "/cases")}
    for service, path in routes:
        document = json.loads((REPO_ROOT / "contracts" / "openapi" / f"{service}.json")
                              .read_text(encoding="utf-8"))
        body = document["paths"][path]["post"].get("requestBody")
        if body:
            raised |= _types(document, body["content"]["application/json"]["schema"], set())
    assert {"greater_than_equal", "string_pattern_mismatch", "too_short"} <= raised
    assert sorted(f"problem.{t}" for t in raised
                  if f"problem.{t}" not in i18n.catalogue()) == []


# --- F5: why a person was taken off a flight -----------------------------------------------

def flight_with_removal(reason: str) -> dict[str, Any]:
    flight = {
        "flight_id": "FLT-0008", "version": 4, "status": "scheduled", "aircraft": "XC-PFM",
        "capacity": 30, "seats_assigned": 0, "seats_free": 30, "departure_base": "MEX",
        "scheduled_departure": "2026-05-04T15:00:00.000000Z",
        "route": [{"airport": "JFK", "district": "EDNY", "city": "New York",
                   "landed_at": None}],
        "departed_at": None, "diversion": None, "cancellation": None, "manifest": [],
        "removed": [{"case_id": "RWY-1", "reason": reason,
                     "detail": "an amparo suspension was granted on 2026-05-02",
                     "removed_at": "2026-05-02T18:00:00.000000Z"}]}
    return FlightView.model_validate(flight).model_dump(mode="json")


def removed_on_page(reason: str, language: str) -> str:
    client = console(answers("transport", "/flights/FLT-0008", flight_with_removal(reason)))
    sign_in(client, "transport_officer")
    client.cookies.set("runway_lang", language)
    page = client.get("/flights/FLT-0008").text
    heading = i18n.translator(language)("flights.removed")
    return visible(page.split(heading)[1].split("</ul>")[0])


def test_f5_the_flight_page_says_why_a_person_was_taken_off_in_the_users_language() -> None:
    """transport's removed[].reason (a rule id or a code of its own) was printed as it came."""
    removed = removed_on_page(law.AMPARO_SUSPENSION_ACTIVE.id, "es")
    assert "hay una suspensión de amparo vigente" in removed, removed.strip()


@pytest.mark.parametrize("code", [transport_domain.OPERATOR_REMOVAL,
                                  transport_domain.FLIGHT_CANCELLED,
                                  transport_domain.DESTINATION_CHANGED])
def test_f5_a_removal_for_a_reason_that_is_no_rule_is_said_in_the_users_language(
        code: str) -> None:
    assert code not in rule_texts.registry()
    for language in i18n.LANGUAGES:
        removed = removed_on_page(code, language)
        assert i18n.translator(language)(f"removal.{code}") in removed
        assert code not in removed


# --- F6: the signed-in role in the user's language -----------------------------------------

def test_f6_the_header_names_the_role_in_the_users_language() -> None:
    client = console()
    sign_in(client, "judicial_clerk")
    client.cookies.set("runway_lang", "es")
    header = client.get("/cases").text.split('class="who"')[1].split("</form>")[0]
    assert "judicial clerk" not in header, visible(header).strip()
    assert "Secretario judicial (México)" in header


# --- F7: the request form only for a role that may submit ----------------------------------

@pytest.mark.parametrize("role", ["auditor", "judicial_clerk", "transport_officer"])
def test_f7_the_submit_page_is_not_offered_to_a_role_that_may_not_submit(role: str) -> None:
    sent: list[dict[str, Any]] = []
    client = console(intake_submission(sent))
    sign_in(client, role)
    response = client.get("/submit")
    assert 'action="/submit"' not in response.text
    assert response.status_code == 403
    posted = client.post("/submit", headers=ORIGIN, data={**REQUEST_FORM, ANSWER: "no"})
    batched = client.post("/submit/batch", headers=ORIGIN,
                          data={"format": "csv", "batch": csv_of({**REQUEST_FORM,
                                                                  ANSWER: "no"})})
    assert (posted.status_code, batched.status_code, sent) == (403, 403, [])


def test_f7_an_operator_still_gets_the_form() -> None:
    client = console()
    sign_in(client, "operator")
    response = client.get("/submit")
    assert response.status_code == 200 and 'action="/submit"' in response.text
