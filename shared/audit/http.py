"""The auditors' read-only HTTP API (`runway audit serve`): the same answers as the commands,
computed from the stores and Kafka; nothing here writes to any service."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import PlainTextResponse

from shared.clock import parse_iso_utc
from shared.legaltime import TimelineOrder
from shared.security import AuthSettings, TokenVerifier, load_matrix
from shared.web.auth import AuthMiddleware, Security, ensure_authorized
from shared.web.errors import install_error_handlers
from shared.web.limits import install_body_limits
from shared.web.openapi_errors import document_errors
from shared.web.openapi_security import document_security
from shared.web.routes import RouteTable
from shared.web.storable import storable_values

from .actors import case_actions
from .asof import Question, case_as_of, explain
from .export import case_events, export_record
from .sources import AuditTarget
from .verify import verify


def _instant(at: str, name: str) -> datetime:
    try:
        return parse_iso_utc(at)
    except (ValueError, OverflowError) as error:  # an offset past year 9999 in UTC: overflow
        raise HTTPException(422, detail=[{"loc": ["query", name], "type": "datetime",
                                          "msg": "an ISO 8601 instant is required"}]) from error


def _question(at: str | None, recorded: str | None, legal_date: date | None) -> Question:
    """The axis asked on: `recorded` (or its older name `at`), an instant: what Runway knew
    then; `legal_date`, a date: the legal position on it as now known; neither: now."""
    given = [name for name, value in (("at", at), ("recorded", recorded),
                                      ("legal_date", legal_date)) if value is not None]
    if len(given) > 1:
        raise HTTPException(422, detail=[{
            "loc": ["query", given[1]], "type": "value_error",
            "msg": f"ask on one axis: {' and '.join(given)} cannot be given together"}])
    if legal_date is not None:
        return Question.legal(legal_date)
    instant = recorded or at
    return Question.recorded(_instant(instant, given[0]) if instant else None)


At = Annotated[str | None, Query(description="ISO instant (the recorded axis); the older "
                                             "name of `recorded`")]
Recorded = Annotated[str | None, Query(description="ISO instant: what Runway knew then "
                                                   "(events recorded at or before it); "
                                                   "default now")]
LegalDate = Annotated[date | None, Query(description="a date: the legal position on it as "
                                                     "now known (events whose legal date is "
                                                     "on or before it)")]
Order = Annotated[TimelineOrder, Query(description="the timeline by legal time (occurred_at, "
                                                   "ties by recorded_at) or by recorded time")]


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

    @app.get("/cases/{case_id}/as-of",
             summary="A case's state and timeline as known at an instant, or on a legal date")
    async def as_of(case_id: str, at: At = None, recorded: Recorded = None,
                    legal_date: LegalDate = None,
                    order: Order = TimelineOrder.LEGAL) -> dict[str, Any]:
        try:
            return await case_as_of(target, case_id, _question(at, recorded, legal_date),
                                    order=order)
        except LookupError as error:
            raise HTTPException(404, detail=str(error)) from error

    @app.get("/cases/{case_id}/explain",
             summary="Why a case is, or was, held back (at an instant, or on a legal date)")
    async def why(case_id: str, at: At = None, recorded: Recorded = None,
                  legal_date: LegalDate = None) -> dict[str, Any]:
        try:
            return await explain(target, case_id, _question(at, recorded, legal_date))
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
