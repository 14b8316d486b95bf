"""A pasted batch: JSON, YAML or CSV read into intake's request bodies."""

from __future__ import annotations

import json

import pytest

from services.console.batch import BatchUnreadable, field_of, parse
from tests.support.requests import request


def test_json_and_yaml_hold_the_bodies_as_intake_takes_them() -> None:
    bodies = [request(family="Uno"), request(family="Dos")]
    assert parse(json.dumps(bodies), "json") == bodies
    assert parse(json.dumps({"requests": bodies}), "yaml") == bodies  # JSON is YAML


def test_a_csv_row_reads_like_the_form() -> None:
    text = ("person.given_names,person.family_names,person.nationality,legal_basis,"
            "requesting_district,prosecutor_office,charges.0.charge_id,charges.0.statute,"
            "charges.0.death_penalty_possible,documents.0.kind,documents.0.reference\n"
            "Rafael,Caro Quintero,Mexican,treaty,EDNY,USAO,c1,21 USC 848,false,"
            "arrest_warrant,W-1\n")
    [body] = parse(text, "csv")
    assert body["person"]["family_names"] == "Caro Quintero"
    assert body["charges"][0]["statute"] == "21 USC 848"
    assert body["documents"] == [{"kind": "arrest_warrant", "reference": "W-1"}]


@pytest.mark.parametrize(("text", "kind", "why"), [
    ("", "json", "batch.empty"), ("[]", "json", "batch.empty"),
    ("{not json", "json", "batch.unreadable"), ('{"a": 1}', "json", "batch.not_a_list"),
    ("- 1\n- 2\n", "yaml", "batch.not_a_list")])
def test_what_cannot_be_read_says_why(text: str, kind: str, why: str) -> None:
    with pytest.raises(BatchUnreadable) as raised:
        parse(text, kind)
    assert str(raised.value) == why


def test_a_problem_names_its_field_within_its_request() -> None:
    assert field_of({"loc": ["body", "requests", 3, "person", "given_names"]}) == \
        "person.given_names"
