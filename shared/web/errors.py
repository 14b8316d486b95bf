"""Error responses: JSON that names the field or the rule, never a stack trace."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.responses import Response

from shared.errors import InvalidRequest, NotFound, RuleViolation, error_chain
from shared.eventstore import ConcurrencyConflict

from .storable import MAX_DEPTH, echoable, nested_deeper_than, printable

log = logging.getLogger("runway.http")

# SQLSTATE classes of a server going away: 08 connection exception, 57P admin shutdown,
# crash shutdown, cannot connect now (starting up).
_OUTAGE_SQLSTATES = ("08", "57P")


def database_unavailable(error: BaseException) -> bool:
    """The error (or one it wraps) is the database connection failing, not the command: a
    closed or refused connection, a server shutting down or still starting."""
    return any(_lost_connection(current) for current in error_chain(error))


def _lost_connection(error: BaseException) -> bool:
    if isinstance(error, (sa_exc.InterfaceError, ConnectionError)) or (
            isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated):
        return True
    return "connection was closed" in str(error) or str(
        getattr(error, "sqlstate", "") or "").startswith(_OUTAGE_SQLSTATES)

# A 422 names what was wrong and shows the offending value, but never echoes back more than
# this much of it: a megabyte of junk is not worth returning (or logging) to its sender.
MAX_ECHOED_CHARS = 200
# The codes the auth middleware and the validation handler use for the same refusals.
_HTTP_ERRORS = {401: "unauthenticated", 422: "invalid_request"}


def bounded_input(value: Any) -> Any:
    """The rejected value as a 422 shows it: itself when small, else a short description."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if len(value) <= MAX_ECHOED_CHARS:
            return printable(value)
        return f"{printable(value[:MAX_ECHOED_CHARS])}... ({len(value)} characters in all)"
    if nested_deeper_than(value, MAX_DEPTH):
        return f"({type(value).__name__} nested more than {MAX_DEPTH} levels, not echoed)"
    encoded = echoable(jsonable_encoder(value))
    size = len(json.dumps(encoded, ensure_ascii=False, default=str))
    if size <= MAX_ECHOED_CHARS:
        return encoded
    return f"({type(value).__name__} of {size} characters, not echoed)"


def invalid_request(problems: list[Any]) -> JSONResponse:
    """The 422 of every kind of invalid input, in the one error shape (openapi_errors.py)."""
    return JSONResponse(status_code=422, content={"error": "invalid_request",
                                                  "detail": problems})


def http_error(error: HTTPException) -> Response:
    """Starlette's and our own HTTPExceptions (404 for an unknown path, 405, 401, 403, an
    If-Match 422) in the one error shape: `error` from the status, `detail` as raised."""
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code, headers=error.headers)
    code = _HTTP_ERRORS.get(error.status_code) or \
        HTTPStatus(error.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    return JSONResponse(status_code=error.status_code, headers=error.headers,
                        content={"error": code, "detail": error.detail})


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

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        # A field's name is input too (an unknown key): echoed within the same bound.
        detail = [{**e, "loc": [bounded_input(p) if isinstance(p, str) else p
                                for p in e["loc"]],
                   **({"input": bounded_input(e["input"])} if "input" in e else {})}
                  for e in error.errors()]
        return invalid_request(jsonable_encoder(detail))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, error: HTTPException) -> Response:
        cause = error.__cause__
        if error.status_code == 400 and isinstance(cause, RecursionError):
            return invalid_request([{
                "type": "json_too_deep", "loc": ["body"],
                "msg": f"JSON may nest at most {MAX_DEPTH} levels of lists and objects"}])
        if error.status_code == 400 and isinstance(cause, UnicodeDecodeError):
            # FastAPI answers 400 for a body that isn't UTF-8; it is malformed JSON like any
            # other, so it gets the same 422 as a syntax error.
            return invalid_request([{
                "type": "json_invalid", "loc": ["body", cause.start], "msg": "JSON decode error",
                "ctx": {"error": "the body is not UTF-8 text"}}])
        return http_error(error)

    @app.exception_handler(RuleViolation)
    async def _rule(_request: Request, error: RuleViolation) -> JSONResponse:
        return JSONResponse(status_code=409, content={
            "error": "rule_violation", "rule": error.rule, "detail": error.message})

    @app.exception_handler(InvalidRequest)
    async def _invalid(_request: Request, error: InvalidRequest) -> JSONResponse:
        return invalid_request([p.as_dict() for p in error.problems])

    @app.exception_handler(NotFound)
    async def _missing(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={
            "error": "not_found", "detail": str(error)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        if database_unavailable(error):
            # PostgreSQL restarting or unreachable: the command's transaction did not commit
            # (or its answer is unknown, as with a lost connection); "try again", not a 500.
            log.warning("database unavailable; answered 503", extra={
                "path": request.url.path, "error": repr(error)[:300]})
            return JSONResponse(status_code=503, headers={"Retry-After": "1"}, content={
                "error": "database_unavailable",
                "detail": "the database is unavailable; try again"})
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(status_code=500, content={
            "error": "internal_error", "detail": "an internal error occurred; see the logs"})
