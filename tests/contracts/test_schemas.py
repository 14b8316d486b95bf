"""The published JSON Schemas: valid 2020-12 schemas, and in agreement with the models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from shared.contracts.registry import Message
from shared.contracts.schemas import BASE_URI, DIALECT

from . import samples
from .contracts import CONTRACTS, messages, schema_of
from .validate import validate_event

SCHEMA_FILES = sorted((CONTRACTS / "schemas").glob("*.json"))
MESSAGES = messages()


def test_there_is_a_schema_file_for_every_message_and_no_other() -> None:
    assert sorted(f.name for f in SCHEMA_FILES) == sorted(m.schema_file for m in MESSAGES)
    assert len(MESSAGES) > 40


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_passes_the_2020_12_metaschema(path: Any) -> None:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DIALECT
    assert schema["$id"] == BASE_URI + path.name
    assert schema["title"] == path.stem
    assert schema["description"].strip()
    assert schema["type"] == "object"
    # Self-describing: every payload names the case (or, for flight events, the flight).
    assert {"case_id", "flight_id"} & set(schema["properties"])


def test_the_metaschema_check_rejects_a_broken_schema() -> None:
    from jsonschema.exceptions import SchemaError

    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "object", "required": "case_id"})


def _validate_both(message: Message, payload: Any) -> None:
    """The payload is accepted by the model, and what the model emits matches the schema."""
    produced = message.model.model_validate(payload).model_dump(mode="json")
    validate_event(message.event_type, message.version, produced, current_only=False)
    Draft202012Validator(schema_of(message), format_checker=FormatChecker()).validate(payload)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.ce_type)
@pytest.mark.parametrize("full", [False, True], ids=["required-fields", "all-fields"])
def test_model_and_schema_agree_on_an_example(message: Message, full: bool) -> None:
    schema = schema_of(message)
    _validate_both(message, samples.example(schema, full=full))


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.ce_type)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_model_and_schema_agree_on_random_payloads(message: Message, data: st.DataObject
                                                   ) -> None:
    payload = data.draw(samples.strategy(schema_of(message)), label="payload")
    _validate_both(message, payload)
