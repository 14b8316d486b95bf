"""What a submission must name, and how (review of 5 Dec 2026): blank text names nothing, a
request is not dated before the person's birth, an empty reference and names too long to be
shown are refused as the request's own fault (422), never a 500 from the database."""

from __future__ import annotations

from datetime import date

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
