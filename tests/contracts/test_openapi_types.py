"""Every service's OpenAPI document (what /openapi.json serves) is complete enough to generate
a client from: every success answer is a named, typed model; every error answer is the one
Error shape; every string query filter says which values it takes."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from shared.contracts.openapi import openapi_document

from .contracts import services

SERVICES = [c.name for c in services()]
METHODS = ("get", "put", "post", "delete", "patch")


@cache
def document(service: str) -> dict[str, Any]:
    [contract] = [c for c in services() if c.name == service]
    return openapi_document(contract)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def json_schemas(operation: dict[str, Any], success: bool) -> Iterator[tuple[str, Any]]:
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2") == success:
            content = response.get("content", {}).get("application/json")
            if content is not None:
                yield status, content.get("schema")


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def untyped_objects(doc: dict[str, Any], schema: Any, where: str,
                    seen: set[str]) -> Iterator[str]:
    """Objects with neither properties nor typed values, and no description saying why
    (an event's payload, described by its own schema under contracts/schemas)."""
    if isinstance(schema, list):
        for item in schema:
            yield from untyped_objects(doc, item, where, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref not in seen:
            seen.add(ref)
            yield from untyped_objects(doc, resolve(doc, schema), ref, seen)
        return
    free = schema.get("additionalProperties", False) in (True, {}) or (
        schema.get("type") == "object" and "properties" not in schema
        and "additionalProperties" not in schema)
    if free and not schema.get("description"):
        yield where
    for key, value in schema.items():
        if key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            values = value.values() if key == "properties" else [value]
            for child in values:
                yield from untyped_objects(doc, child, where, seen)


@pytest.mark.parametrize("service", SERVICES)
def test_every_success_answer_is_a_named_typed_model(service: str) -> None:
    doc = document(service)
    problems = []
    for name, operation in operations(doc):
        for status, schema in json_schemas(operation, success=True):
            if not schema or "$ref" not in schema:
                problems.append(f"{name} {status}: not a named model ({schema})")
                continue
            model = resolve(doc, schema)
            if not model.get("properties") or model.get("additionalProperties") is not False:
                problems.append(f"{name} {status}: {schema['$ref']} is an open object")
            problems += [f"{name} {status}: untyped object in {where}"
                         for where in untyped_objects(doc, schema, schema["$ref"], set())]
    assert problems == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_answer_is_the_one_error_shape(service: str) -> None:
    doc = document(service)
    # /readyz's 503 is the readiness report saying what is down, not a refusal.
    shapes = {(name, status, str(schema)) for name, operation in operations(doc)
              for status, schema in json_schemas(operation, success=False)
              if schema != {"$ref": "#/components/schemas/Error"}
              and (name, status) != ("GET /readyz", "503")}
    assert shapes == set()
    assert not {"HTTPValidationError", "ValidationError"} & set(doc["components"]["schemas"])


@pytest.mark.parametrize("service", SERVICES)
def test_every_string_query_filter_names_its_values(service: str) -> None:
    """A free-text filter turns a typo into an empty list; an enum or pattern makes it a 422."""
    doc = document(service)
    loose = []
    for name, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            options = parameter["schema"].get("anyOf", [parameter["schema"]])
            for option in (resolve(doc, o) for o in options):
                if option.get("type") == "string" and not (
                        "enum" in option or "const" in option or "pattern" in option
                        or "format" in option):
                    loose.append(f"{name} ?{parameter['name']}")
    assert loose == []
