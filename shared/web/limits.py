"""Request size limits: a body over the route's limit is a 413, a very long URL a 414, an
oversized header section a 431, each with a JSON body that names the limit.

A pure ASGI middleware, so nothing is buffered to find out: a declared Content-Length over the
route's limit is refused before a byte of the body is read (over every route's limit, before
the request goes any further), and a body without one (chunked) is counted as it streams in
and refused at the first chunk that crosses the limit. Routes that take big bodies on purpose
(intake's batch) opt into the larger batch limit with `openapi_extra=BATCH_BODY`.

The limits are settings: RUNWAY_MAX_REQUEST_BYTES (default 1 MiB) and
RUNWAY_MAX_BATCH_REQUEST_BYTES (default 8 MiB: a realistic batch of 500 requests weighs
about 0.7 MB, three charges each; the headroom is for long charge lists).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.envsettings import EnvSettings

from .asgi import HttpMiddleware

MIB = 1024 * 1024
BODY_LIMIT_KEY = "x-runway-body-limit"
BATCH_BODY: dict[str, Any] = {BODY_LIMIT_KEY: "batch"}
"""`openapi_extra` of a route whose body may be as large as the batch limit."""


class BodyLimitSettings(EnvSettings):
    max_request_bytes: int = Field(default=MIB, ge=1, validation_alias="RUNWAY_MAX_REQUEST_BYTES")
    max_batch_request_bytes: int = Field(default=8 * MIB, ge=1,
                                         validation_alias="RUNWAY_MAX_BATCH_REQUEST_BYTES")
    # Far above any legitimate request (a bearer token is ~1 KB), well below what hurts.
    max_url_bytes: int = Field(default=8 * 1024, ge=256, validation_alias="RUNWAY_MAX_URL_BYTES")
    max_header_bytes: int = Field(default=16 * 1024, ge=1024,
                                  validation_alias="RUNWAY_MAX_HEADER_BYTES")


class PayloadTooLarge(HTTPException):
    """Raised while the body streams in. A Starlette HTTPException, so FastAPI's body reader
    passes it on instead of turning it into a 400 "error parsing the body"."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_too_large_detail(limit))
        self.limit = limit


def _too_large_detail(limit: int, *, any_route: bool = False) -> str:
    if any_route:
        return f"the request body is larger than any route accepts ({limit} bytes)"
    return f"the request body is larger than this route's limit of {limit} bytes"


def too_large_body(limit: int, *, any_route: bool = False) -> dict[str, Any]:
    return {"error": "payload_too_large", "detail": _too_large_detail(limit, any_route=any_route),
            "limit_bytes": limit}


def route_limit(scope: Scope, settings: BodyLimitSettings) -> int:
    """The body limit of the route the router matched (it is in the scope by the time the
    route reads its body): the batch limit for routes marked BATCH_BODY, else the default."""
    route = scope.get("route")
    extra = route.openapi_extra if isinstance(route, APIRoute) else None
    if (extra or {}).get(BODY_LIMIT_KEY) == "batch":
        return settings.max_batch_request_bytes
    return settings.max_request_bytes


class BodyLimitMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, settings: BodyLimitSettings) -> None:
        super().__init__(app)
        self.settings = settings
        self.largest = max(settings.max_request_bytes, settings.max_batch_request_bytes)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = _oversized_head(scope, self.settings)
        declared = _content_length(scope)
        if refusal is None and declared is not None and declared > self.largest:
            refusal = 413, too_large_body(self.largest, any_route=True)  # no need to look
        if refusal is not None:
            await _answer(send, *refusal)
            return
        await self._counting(scope, receive, send, declared)

    async def _counting(self, scope: Scope, receive: Receive, send: Send,
                        declared: int | None) -> None:
        limit: int | None = None
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal limit, received
            if limit is None:  # the first read: the route is known now, nothing read yet
                limit = route_limit(scope, self.settings)
                if declared is not None and declared > limit:
                    raise PayloadTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except PayloadTooLarge as error:  # read outside FastAPI's handlers: answer here
            if started:
                raise
            await _answer(send, 413, too_large_body(error.limit))


def install_body_limits(app: FastAPI, settings: BodyLimitSettings | None = None) -> None:
    """Refuse oversized requests on every route of `app`."""
    app.add_middleware(BodyLimitMiddleware, settings=settings or BodyLimitSettings())

    @app.exception_handler(PayloadTooLarge)
    async def _too_large(_request: Request, error: PayloadTooLarge) -> JSONResponse:
        return JSONResponse(status_code=413, content=too_large_body(error.limit),
                            headers={"connection": "close"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


def _oversized_head(scope: Scope, settings: BodyLimitSettings
                    ) -> tuple[int, dict[str, Any]] | None:
    url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
        scope.get("query_string", b""))
    if url_bytes > settings.max_url_bytes:
        return 414, {"error": "uri_too_long", "limit_bytes": settings.max_url_bytes,
                     "detail": f"the URL is longer than {settings.max_url_bytes} bytes"}
    header_bytes = sum(len(name) + len(value) for name, value in scope.get("headers", []))
    if header_bytes > settings.max_header_bytes:
        return 431, {"error": "request_header_fields_too_large",
                     "limit_bytes": settings.max_header_bytes,
                     "detail": f"the request headers exceed {settings.max_header_bytes} bytes"}
    return None


async def _answer(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content).encode()
    # The unread body stays on the connection: close it rather than parse it as a request.
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
