"""Which forms a role sees (the permission matrix), and the API bodies the forms make."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.console import submission
from services.console.steps import STEPS, FormProblem, Input, Step, allowed_steps, body_of, may
from shared.security import load_matrix
from shared.settings import REPO_ROOT
from shared.topology import SERVICES


def test_each_clerk_or_officer_sees_the_steps_of_the_service_they_record() -> None:
    services = {"judicial_clerk": "judicial", "assurance_officer": "assurance",
                "court_clerk": "court", "transport_officer": "transport",
                "privacy_officer": "intake"}
    for role, service in services.items():
        assert [s.id for s in allowed_steps([role])] == \
            [s.id for s in STEPS.values() if s.service == service], role
    for role in ("operator", "auditor"):
        assert allowed_steps([role]) == [], role


def test_a_path_parameter_comes_from_its_field_and_stays_out_of_the_body() -> None:
    step = STEPS["assurance.decision"]
    form = {"assurance_id": "AS/1", "accepted": "true", "decided_on": "2025-08-01",
            "reason": "sufficient"}
    assert step.url("RWY-1", form) == "/cases/RWY-1/assurances/AS%2F1/decision"
    assert body_of(step, form, "UTC") == {"accepted": True, "decided_on": "2025-08-01",
                                          "reason": "sufficient"}
    arraignment = body_of(STEPS["court.arraignment"], {"charge_ids": "c1, c2,", "plea": "guilty"},
                          "UTC")
    assert arraignment == {"charge_ids": ["c1", "c2"], "plea": "guilty"}


def test_the_forms_follow_the_matrix_not_a_list_of_their_own() -> None:
    matrix = load_matrix("""
roles: {operator: x, judicial_clerk: y}
public: []
services:
  judicial:
    POST /cases/{case_id}/hearing: [operator]
""")
    assert [s.id for s in allowed_steps(["operator"], matrix)] == ["judicial.hearing"]
    assert allowed_steps(["judicial_clerk"], matrix) == []


def test_only_an_operator_may_submit_a_request() -> None:
    assert may(["operator"], "intake", "POST", "/cases")
    assert not may(["judicial_clerk", "auditor"], "intake", "POST", "/cases")


def test_a_step_form_becomes_the_api_body_typed_and_without_blanks() -> None:
    opinion = body_of(STEPS["judicial.judge_opinion"],
                      {"issued_on": "2025-03-01", "favorable": "false"}, "America/Mexico_City")
    assert opinion == {"issued_on": "2025-03-01", "favorable": False}
    decision = body_of(STEPS["judicial.sre_decision"],
                       {"decision": "granted", "decided_on": "2025-03-02", "reason": "  "},
                       "America/Mexico_City")
    assert decision == {"decision": "granted", "decided_on": "2025-03-02"}


def test_a_transfer_time_is_read_as_legal_time() -> None:
    body = body_of(STEPS["judicial.national_security_transfer"],
                   {"authorized_at": "2025-08-12T09:30", "us_request_reference": "R",
                    "authority": "A"}, "America/Mexico_City")
    assert body["authorized_at"] == "2025-08-12T09:30:00-06:00"


def test_a_value_the_form_cannot_type_names_its_field() -> None:
    with pytest.raises(FormProblem) as raised:
        body_of(STEPS["judicial.evidence_extension"], {"additional_days": "ten"}, "UTC")
    assert raised.value.name == "additional_days"


def test_the_request_form_becomes_intakes_body() -> None:
    body = submission.body_of({
        "person.given_names": "Rafael", "person.family_names": "Caro Quintero",
        "person.aliases": "El Narco de Narcos, RCQ", "person.nationality": "Mexican",
        "legal_basis": "treaty", "requesting_district": "EDNY", "prosecutor_office": "USAO",
        "charges.0.charge_id": "c1", "charges.0.statute": "18 U.S.C. § 1114",
        "charges.0.description": "murder", "charges.0.max_penalty_us.years": "",
        "charges.0.max_penalty_us.life": "true", "charges.0.mx_equivalent_offence": "homicidio",
        "charges.0.max_penalty_mx.years": "60", "charges.0.death_penalty_possible": "true",
        "charges.0.death_penalty_law": "18 U.S.C. § 3591",
        "charges.1.charge_id": "c2", "charges.1.sentence_remaining.years": "2.5",
        "documents.0.kind": "arrest_warrant", "documents.0.reference": "W-1"})
    assert body["person"]["aliases"] == ["El Narco de Narcos", "RCQ"]
    assert len(body["charges"]) == 2
    assert len(submission.body_of({"charges.0.charge_id": "c1"})["charges"]) == 1  # empty slot
    assert "sentence_remaining" not in body["charges"][0]
    assert body["charges"][1]["sentence_remaining"] == {"life": False, "years": 2.5}
    assert body["charges"][0]["max_penalty_us"] == {"life": True}
    assert body["charges"][0]["max_penalty_mx"] == {"life": False, "years": 60.0}
    assert body["documents"] == [{"kind": "arrest_warrant", "reference": "W-1"}]
    assert "request_reference" not in body


def test_the_apis_answers_go_beside_the_fields_they_name() -> None:
    placed, general = submission.place_problems([
        {"loc": ["body", "person", "given_names"], "msg": "too short", "type": "x"},
        {"loc": ["body", "charges", 0, "max_penalty_mx", "years"], "msg": "n", "type": "x"},
        {"loc": ["body", "documents"], "msg": "warrant", "type": "x"},
        {"loc": ["body", "charges", 0, "unknown_field"], "msg": "extra", "type": "x"},
        {"loc": ["query", "x"], "msg": "odd", "type": "x"},
    ], submission.all_names())
    assert set(placed) == {"person.given_names", "charges.0.max_penalty_mx.years", "documents",
                           "charges.0"}
    assert [p["msg"] for p in general] == ["odd"]


def test_a_flight_step_names_the_flight_and_a_plan_nests_its_aircraft() -> None:
    removal = STEPS["transport.removal"]
    assert removal.url("FL-1", {"case_id": "RWY-9"}) == "/flights/FL-1/manifest/RWY-9/removal"
    plan = body_of(STEPS["transport.plan"], {"case_ids": "RWY-1, RWY-2", "aircraft": "XC-MGA",
                                             "capacity": "30", "departure_base": "AIFA"}, "UTC")
    assert plan == {"case_ids": ["RWY-1", "RWY-2"], "departure_base": "AIFA",
                    "aircraft": [{"aircraft": "XC-MGA", "capacity": 30}]}


def test_every_act_the_apis_offer_by_post_has_a_form() -> None:
    """Every POST route of the services' published APIs (contracts/openapi) is a step on some
    page, or intake's submit page. (Intake's PUT of the charges, an amendment, is not a form
    yet; a dead letter is the operations team's, not an act on a case.)"""
    offered = {(s.service, s.path) for s in STEPS.values()}
    offered |= {("intake", "/cases"), ("intake", "/cases/batch")}  # the submit page
    wanted = set()
    for service in SERVICES:
        document = json.loads((REPO_ROOT / "contracts" / "openapi" / f"{service}.json")
                              .read_text(encoding="utf-8"))
        wanted |= {(service, path) for path, methods in document["paths"].items()
                   if "post" in methods and not path.startswith("/dead-letters/")}
    assert len(wanted) > 40
    assert sorted(wanted - offered) == []


def test_a_superseding_indictment_takes_its_counts_one_a_line() -> None:
    step = STEPS["court.superseding_indictment"]
    body = body_of(step, {"filed_on": "2026-11-02", "counts": (
        "c1; 21 U.S.C. § 848; continuing criminal enterprise\n"
        "c9; 18 U.S.C. § 1956; laundering; c1\n")}, "America/Mexico_City")
    assert body == {"filed_on": "2026-11-02", "charges": [
        {"charge_id": "c1", "statute": "21 U.S.C. § 848",
         "description": "continuing criminal enterprise"},
        {"charge_id": "c9", "statute": "18 U.S.C. § 1956", "description": "laundering",
         "facts_of": "c1"}]}
    with pytest.raises(FormProblem) as problem:
        body_of(step, {"filed_on": "2026-11-02", "counts": "c1 only"}, "America/Mexico_City")
    assert (problem.value.name, problem.value.message_key) == ("counts", "form.counts")


def _openapi(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (REPO_ROOT / "contracts" / "openapi" / f"{service}.json").read_text(encoding="utf-8"))
    return document


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _choices(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The values a body field takes, when it names them (an enum, or a list of one)."""
    schema = _schema(document, schema)
    found = set(schema.get("enum", ())) | ({schema["const"]} if "const" in schema else set())
    for part in (*schema.get("anyOf", ()), *([schema["items"]] if "items" in schema else ())):
        found |= _choices(document, part)
    return found


def _body_fields(step: Step) -> dict[str, Input]:
    """The API body's top-level fields the form fills, each with the input that fills it."""
    fields = {}
    for item in step.inputs:
        if not step.in_path(item):
            shaped = [body for body, form in step.shaped_from.items() if form == item.name]
            fields[shaped[0].split(".")[0] if shaped else item.name] = item
    return fields


def test_each_form_takes_every_field_its_api_takes_and_the_values_it_names() -> None:
    """A field the form lacks is an act the console cannot record as the law has it (an SRE
    refusal needs its ground; a ruling's appeal period runs from its notification)."""
    for step in STEPS.values():
        document = _openapi(step.service)
        request_body = document["paths"][step.path]["post"].get("requestBody")
        schema = _schema(document, request_body["content"]["application/json"]["schema"]) \
            if request_body else {}
        taken, required = schema.get("properties", {}), set(schema.get("required", ()))
        fields = _body_fields(step)
        assert sorted(set(taken) ^ set(fields)) == [], step.id
        for name, item in fields.items():
            assert item.required == (name in required), (step.id, name)
            if item.kind in ("choice", "list") and not step.shaped_from:
                assert set(item.choices) == _choices(document, taken[name]), (step.id, name)
