"""Error responses: JSON that names the field or the rule, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.errors import InvalidRequest, NotFound, RuleViolation
from shared.eventstore import ConcurrencyConflict

log = logging.getLogger("runway.http")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ConcurrencyConflict)
    async def _conflict(_request: Request, error: ConcurrencyConflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={
            "error": "concurrency_conflict",
            "detail": str(error),
            "stream_id": error.stream_id,
            "expected_version": error.expected_version,
            "actual_version": error.actual_version,
        })

    @app.exception_handler(RuleViolation)
    async def _rule(_request: Request, error: RuleViolation) -> JSONResponse:
        return JSONResponse(status_code=409, content={
            "error": "rule_violation", "rule": error.rule, "detail": error.message})

    @app.exception_handler(InvalidRequest)
    async def _invalid(_request: Request, error: InvalidRequest) -> JSONResponse:
        return JSONResponse(status_code=422, content={
            "error": "invalid_request", "detail": [p.as_dict() for p in error.problems]})

    @app.exception_handler(NotFound)
    async def _missing(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={
            "error": "not_found", "detail": str(error)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(status_code=500, content={
            "error": "internal_error", "detail": "an internal error occurred; see the logs"})
