"""The OpenAPI document says how to authenticate and who may call each operation: a bearer
scheme, `security` on every non-public operation, its 401/403 answers, and the roles the
permission matrix allows (`x-runway-roles`), so clients and fuzzers see the real contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .auth import Security
from .openapi_errors import add_error_schema

_METHODS = ("get", "put", "post", "delete", "patch")


def document_security(app: FastAPI, security: Security) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi
    cached: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.append(_with_security(build(), security))
        return cached[0]

    app.openapi = openapi  # type: ignore[method-assign]


def _with_security(document: dict[str, Any], security: Security) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A JWT from the configured issuer; its roles claim decides access "
                       "(shared/security/permissions.yaml)."}
    error = add_error_schema(document)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            rule = security.rule(method.upper(), path)
            if rule is None or rule.public:
                continue
            operation["security"] = [{"bearer": []}]
            operation["x-runway-roles"] = list(rule.roles)
            responses = operation.setdefault("responses", {})
            for status, why in (("401", "No valid bearer token (the reason is given)"),
                                ("403", "The token's roles may not call this operation")):
                responses.setdefault(status, {"description": why, "content": {
                    "application/json": {"schema": {"$ref": error}}}})
    return document
