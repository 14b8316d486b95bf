"""The OpenAPI document names the refusals an operation can answer with, besides FastAPI's 422
and the 401/403 of openapi_security.py: 404 when the path or the body names something unknown,
409 when a command breaks a rule or a version check, 413/414/431 when a body, the URL or the
headers are over their size limits (shared/web/limits.py).
Clients (and the schemathesis fuzzing in tests/fuzz) then see every status code we send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

_ERROR = {"type": "object", "required": ["detail"],
          "description": "`error` names the kind of refusal, `detail` says why; some add "
                         "fields (`rule`, `rules`, `case_ids`, `limit_bytes`, ...)",
          "properties": {"error": {"type": "string"}, "detail": {}}}
_REF = {"$ref": "#/components/schemas/Error"}
_COMMANDS = ("post", "put", "patch", "delete")
_METHODS = ("get", *_COMMANDS)
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


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                _add_responses(method, operation)
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
    for status, why in refusals:
        responses.setdefault(status, {"description": why,
                                      "content": {"application/json": {"schema": _REF}}})
