"""What a clerk checks before a request becomes a case; each problem names field and rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake import api
from services.intake.domain import ClearRequest, check_request
from tests.support.requests import charge, request

TODAY = date(2025, 8, 12)


def problems(**overrides: object) -> set[tuple[tuple[object, ...], str]]:
    body = {**request(), **overrides}
    parsed = ClearRequest.model_validate({"case_id": "RWY-1", **body})
    return {(p.loc, p.rule) for p in check_request(parsed, TODAY)}


def test_a_complete_treaty_request_passes() -> None:
    assert problems() == set()


@pytest.mark.parametrize(("side", "values"), [
    ("max_penalty_us", {"us_years": 0.5}), ("max_penalty_mx", {"mx_years": 0.5}),
    ("max_penalty_mx", {"mx_years": None})])
def test_dual_criminality_needs_a_year_in_both_countries(side: str,
                                                          values: dict[str, Any]) -> None:
    assert problems(charges=[charge("c1", **values)]) == {(("charges", 0, side),
                                                           "dual_criminality")}


def test_life_imprisonment_satisfies_dual_criminality() -> None:
    assert problems(charges=[charge("c1", us_years=None, life=True)]) == set()


TOO_SHORT = "sentence_remaining_too_short"


@pytest.mark.parametrize(("remaining", "rule"), [
    ({"years": 0.25}, TOO_SHORT), ({"years": 0.49}, TOO_SHORT), ({"years": 0.5}, None),
    ({"years": 4}, None), ({"life": True}, None)])
def test_a_sentence_is_enforced_only_with_six_months_left_to_serve(
    remaining: dict[str, Any], rule: str | None
) -> None:
    """Treaty art. 2: the US asks for a person to serve the rest of a 5-year sentence."""
    enforced = {**charge("c1", us_years=5), "sentence_remaining": remaining}
    expected = set() if rule is None else {(("charges", 0, "sentence_remaining"), rule)}
    assert problems(charges=[enforced]) == expected


def test_capital_charge_must_name_its_law() -> None:
    capital = {**charge("c1", capital=True), "death_penalty_law": None}
    assert problems(charges=[capital]) == {(("charges", 0, "death_penalty_law"),
                                            "death_penalty_law_required")}


def test_charge_ids_are_unique_and_charges_required() -> None:
    assert problems(charges=[charge("c1"), charge("c1")]) == {
        (("charges", 1, "charge_id"), "charge_id_unique")}
    assert problems(charges=[]) == {(("charges",), "charges_required")}


def test_dates_must_be_in_order() -> None:
    assert problems(provisional_arrest_date="2025-09-01") == {
        (("provisional_arrest_date",), "dates_in_order")}
    assert problems(person={**request()["person"], "date_of_birth": "2026-01-01"}) == {
        (("person", "date_of_birth"), "dates_in_order")}


def test_each_basis_requires_its_documents() -> None:
    assert problems(documents=[]) == {(("documents",), "arrest_warrant_required"),
                                      (("documents",), "diplomatic_note_or_provisional_arrest")}
    assert problems(documents=[{"kind": "arrest_warrant", "reference": "W"}],
                    provisional_arrest_date="2025-07-01") == set()
    simplified = request(basis="simplified")
    simplified["documents"] = simplified["documents"][:2]
    assert problems(**simplified) == {(("documents",), "consent_statement_required")}
    ns = request(basis="national_security")
    assert problems(**ns) == set()
    assert problems(**{**ns, "us_request_reference": None}) == {
        (("us_request_reference",), "written_us_request_required")}


def test_district_must_be_a_us_district() -> None:
    assert problems(requesting_district="XXNY") == {(("requesting_district",),
                                                     "known_us_district")}


# --- blank text, dates before birth, and what the database could not keep (review of 5 Dec) -

def test_a_blank_death_penalty_law_does_not_name_one() -> None:
    capital = {**charge("c1", capital=True), "death_penalty_law": "   "}
    assert problems(charges=[capital]) == {(("charges", 0, "death_penalty_law"),
                                            "death_penalty_law_required")}


def test_a_blank_written_us_request_is_not_one() -> None:
    ns = request(basis="national_security")
    assert problems(**{**ns, "us_request_reference": "  "}) == {
        (("us_request_reference",), "written_us_request_required")}


def test_a_request_dated_before_the_person_was_born_is_refused() -> None:
    assert (("requested_on",), "dates_in_order") in problems(requested_on="1975-08-01")


@pytest.mark.parametrize(("body", "field"), [
    (request(request_reference=""), ("request_reference",)),
    (request(given="G" * 200, family="F"), ("person", "given_names")),
])
def test_an_empty_reference_and_a_name_too_long_to_show_are_422s(
        body: dict[str, object], field: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        api.Submission.model_validate(body)
    assert [tuple(e["loc"]) for e in refused.value.errors()] == [field]
    assert api.Submission.model_validate(request(given="G" * 199, family="F" * 199))
