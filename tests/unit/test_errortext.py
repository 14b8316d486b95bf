"""Error text for logs and dead letters says what failed and where, never with what data."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.errortext import describe, message, traceback_text

NAME = "Zacarías Quintanilla"


class Request(BaseModel):
    case_id: str
    charges: list[str]


def invalid_request() -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        Request.model_validate({"person": {"given_names": NAME}, "charges": NAME})
    assert NAME in str(raised.value) and NAME in repr(raised.value)  # what pydantic writes
    return raised.value


def test_a_validation_error_is_its_locations_and_types_without_the_input() -> None:
    error = invalid_request()
    for text in (message(error), describe(error), traceback_text(error)):
        assert NAME not in text
    assert describe(error).startswith("ValidationError: ")
    assert message(error) == (
        '[{"type": "missing", "loc": ["case_id"], "msg": "Field required"}, '
        '{"type": "list_type", "loc": ["charges"], "msg": "Input should be a valid list"}]')


def test_a_traceback_keeps_the_frames_and_the_chain_but_not_the_input() -> None:
    def handler() -> None:
        try:
            Request.model_validate({"case_id": NAME})
        except ValidationError as error:
            raise LookupError("the request does not apply") from error

    with pytest.raises(LookupError) as raised:
        handler()
    trace = traceback_text(raised.value)
    assert NAME not in trace
    assert trace.count("Traceback (most recent call last):") == 2
    assert trace.index("ValidationError: ") < trace.index(
        "The above exception was the direct cause") < trace.index(
        "LookupError: the request does not apply")
    assert "in handler" in trace  # where it failed: the frames are kept


def test_an_exception_raised_while_handling_another_says_so() -> None:
    try:
        try:
            raise KeyError("first")
        except KeyError:
            raise RuntimeError("second") from None
    except RuntimeError as suppressed:
        assert "first" not in traceback_text(suppressed)
    try:
        try:
            raise KeyError("first")
        except KeyError:
            raise RuntimeError("second")  # noqa: B904 - the implicit context is the point
    except RuntimeError as chained:
        assert "During handling of the above exception" in traceback_text(chained)


def test_a_statement_error_hides_its_parameters_and_the_database_detail() -> None:
    orig = Exception(f'duplicate key\nDETAIL:  Key (display_name)=({NAME}) already exists.')
    error = IntegrityError("INSERT INTO person_names (case_id, display_name) VALUES ($1, $2)",
                           ("RWY-1", NAME), orig)
    assert NAME in str(error)  # what SQLAlchemy writes
    text = describe(error)
    assert NAME not in text
    assert text == ("IntegrityError: (Exception) [SQL: INSERT INTO person_names (case_id, "
                    "display_name) VALUES ($1, $2)] [parameters hidden]")


def test_a_connection_failure_keeps_the_drivers_first_line() -> None:
    error = OperationalError("SELECT 1", None, ConnectionRefusedError("connection refused"))
    assert "connection refused" in describe(error)


def test_other_errors_keep_their_message() -> None:
    assert describe(ValueError("cannot apply step 2")) == "ValueError: cannot apply step 2"
