"""The OpenAPI document names the refusals an operation can answer with, all in the one Error
shape defined here (FastAPI's 422 schema is replaced by it; the 401/403 of openapi_security.py
refer to it too): 404 when the path or the body names something unknown,
409 when a command breaks a rule or a version check, 413/414/431 when a body, the URL or the
headers are over their size limits (shared/web/limits.py).
Clients (and the schemathesis fuzzing in tests/fuzz) then see every status code we send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

# The one shape of every refusal, whatever its status (422 included): `error` is a code,
# `detail` a sentence, or for a 422 the list of problems. shared/web/errors.py makes every
# error answer fit it; each operation's error responses refer to it.
_PROBLEM = {"type": "object", "required": ["loc", "type", "msg"],
            "description": "One thing wrong with the request",
            "properties": {
                "loc": {"type": "array", "items": {"anyOf": [{"type": "string"},
                                                            {"type": "integer"}]},
                        "description": "where: body, query, path or header, then the field"},
                "type": {"type": "string", "description": "the rule it breaks"},
                "msg": {"type": "string"},
                "input": {"description": "the offending value (shortened when long)"},
                "ctx": {"type": "object", "description": "the rule's parameters"}}}
_ERROR = {"type": "object", "required": ["error", "detail"],
          "description": "Every error answer. `error` names the kind of refusal (e.g. "
                         "invalid_request, not_found, rule_violation, concurrency_conflict, "
                         "unauthenticated, payload_too_large); `detail` says why: a sentence, "
                         "or for invalid_request (422) one Problem per thing wrong. Some add "
                         "the fields below.",
          "properties": {
              "error": {"type": "string"},
              "detail": {"anyOf": [{"type": "string"},
                                   {"type": "array",
                                    "items": {"$ref": "#/components/schemas/Problem"}}]},
              "rule": {"type": "string", "description": "the rule a command broke (409)"},
              "rules": {"type": "array", "items": {"type": "string"},
                        "description": "every rule it broke (transport, 409)"},
              "case_ids": {"type": "array", "items": {"type": "string"},
                           "description": "the people concerned (transport, 409)"},
              "stream_id": {"type": "string"},
              "expected_version": {"type": ["integer", "null"]},
              "actual_version": {"type": ["integer", "null"]},
              "limit_bytes": {"type": "integer",
                              "description": "the limit exceeded (413/414/431)"}}}
_REF = {"$ref": "#/components/schemas/Error"}
_COMMANDS = ("post", "put", "patch", "delete")
_METHODS = ("get", *_COMMANDS)
INVALID = ("A parameter or the body breaks a rule (`detail` lists each problem, `loc` naming "
           "the parameter or field); nothing was written")
NOT_FOUND = "The case (or flight, assurance, ...) named in the path or body does not exist"
CONFLICT = ("The command breaks a rule of the case's state (`rule` names it) or a stale "
            "version (If-Match / expected_version); nothing was written")
TOO_LARGE = "The body is over the size limit (`limit_bytes`); nothing was read further"
URI_TOO_LONG = "The URL is over the length limit (`limit_bytes`)"
HEADERS_TOO_LARGE = "The request headers are over the size limit (`limit_bytes`)"


def document_errors(app: FastAPI) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi
    cached: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        if "doc" not in cached:
            cached["doc"] = with_error_responses(build())
        return cached["doc"]

    app.openapi = openapi  # type: ignore[method-assign]


def add_error_schema(document: dict[str, Any]) -> str:
    """Put the Error schema (and its Problem) in the document; returns its reference."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"], schemas["Problem"] = _ERROR, _PROBLEM
    return str(_REF["$ref"])


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    add_error_schema(document)
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                _add_responses(method, operation)
    # FastAPI's own 422 schemas describe a body without `error`, which no answer has.
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _add_responses(method: str, operation: dict[str, Any]) -> None:
    in_path = any(p.get("in") == "path" for p in operation.get("parameters", []))
    refusals: list[tuple[str, str]] = []
    if in_path or method in _COMMANDS:
        refusals.append(("404", NOT_FOUND))
    if method in _COMMANDS:
        refusals += [("409", CONFLICT), ("413", TOO_LARGE)]
    refusals += [("414", URI_TOO_LONG), ("431", HEADERS_TOO_LARGE)]
    responses = operation.setdefault("responses", {})
    if "422" in responses:  # FastAPI's, naming its own HTTPValidationError
        responses["422"] = {"description": INVALID,
                            "content": {"application/json": {"schema": _REF}}}
    for status, why in refusals:
        responses.setdefault(status, {"description": why,
                                      "content": {"application/json": {"schema": _REF}}})
