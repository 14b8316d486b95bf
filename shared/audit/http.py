"""The auditors' read-only HTTP API (`runway audit serve`): the same answers as the commands,
computed from the stores and Kafka; nothing here writes to any service."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import PlainTextResponse

from shared.clock import parse_iso_utc

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


def create_audit_app(target: AuditTarget) -> FastAPI:
    app = FastAPI(title="Runway audit", version="1.0.0",
                  summary="Read-only: verify, as-of, explain and export from the event logs")
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

    return app
