"""The auditors' read-only HTTP API (`runway audit serve`): the same answers as the commands,
computed from the stores and Kafka; nothing here writes to any service."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import PlainTextResponse

from shared.clock import parse_iso_utc
from shared.security import AuthSettings, TokenVerifier, load_matrix
from shared.web.auth import AuthMiddleware, Security, ensure_authorized
from shared.web.errors import install_error_handlers
from shared.web.limits import install_body_limits
from shared.web.openapi_errors import document_errors
from shared.web.openapi_security import document_security
from shared.web.routes import RouteTable
from shared.web.storable import storable_values

from .actors import case_actions
from .asof import case_as_of, explain
from .export import case_events, export_record
from .sources import AuditTarget
from .verify import verify


def _instant(at: str | None) -> datetime:
    if not at:
        return datetime.now(UTC)
    try:
        return parse_iso_utc(at)
    except ValueError as error:
        raise HTTPException(422, detail=[{"loc": ["query", "at"], "type": "datetime",
                                          "msg": "an ISO 8601 instant is required"}]) from error


At = Annotated[str | None, Query(description="ISO instant; default now")]


def audit_security() -> Security:
    return Security(service="audit", matrix=load_matrix(),
                    verifier=TokenVerifier(AuthSettings()))


def create_audit_app(target: AuditTarget, security: Security | None = None) -> FastAPI:
    app = FastAPI(title="Runway audit", version="1.0.0",
                  summary="Read-only: verify, as-of, explain and export from the event logs",
                  dependencies=[Depends(ensure_authorized), Depends(storable_values)])
    routes = RouteTable()
    security = security or audit_security()
    app.add_middleware(AuthMiddleware, security=security, routes=routes)
    install_body_limits(app)
    install_error_handlers(app)

    @app.get("/verify", summary="Versions, hash chains, and every event against Kafka")
    async def run_verify() -> dict[str, Any]:
        report = await verify(target)
        return {"ok": report.ok, "streams": report.streams, "events": report.events,
                "messages": report.messages, "findings": [asdict(f) for f in report.findings]}

    @app.get("/cases/{case_id}/as-of", summary="A case's state and timeline at an instant")
    async def as_of(case_id: str, at: At = None) -> dict[str, Any]:
        try:
            return await case_as_of(target, case_id, _instant(at))
        except LookupError as error:
            raise HTTPException(404, detail=str(error)) from error

    @app.get("/cases/{case_id}/explain", summary="Why a case is, or was, held back")
    async def why(case_id: str, at: At = None) -> dict[str, Any]:
        try:
            return await explain(target, case_id, _instant(at))
        except LookupError as error:
            raise HTTPException(404, detail=str(error)) from error

    @app.get("/cases/{case_id}/export", response_class=PlainTextResponse,
             summary="The case's history as JSON lines (verify with verify_export.py)")
    async def export(case_id: str) -> str:
        events = await case_events(target, case_id)
        if not events:
            raise HTTPException(404, detail=f"no events for case {case_id}")
        return "".join(json.dumps(export_record(s, e), ensure_ascii=False) + "\n"
                       for s, e in events)

    @app.get("/cases/{case_id}/actors",
             summary="Who did what to a case: each event's authenticated subject and role")
    async def actors(case_id: str) -> list[dict[str, Any]]:
        try:
            return [asdict(action) for action in await case_actions(target, case_id)]
        except LookupError as error:
            raise HTTPException(404, detail=str(error)) from error

    routes.add_routes(app.router.routes)
    security.check_covers(routes)
    document_security(app, security)
    document_errors(app)
    return app
