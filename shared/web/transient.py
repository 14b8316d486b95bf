"""A command that PostgreSQL rolled back for its timing alone is run again, not answered 500.

With several replicas taking commands, two transactions can meet in a deadlock or a
serialization failure; PostgreSQL then rolls one back whole. Nothing of that command was
written, so running the request again from the start (load, decide, append) gives the answer
it would have had. This pure ASGI middleware sits just outside the routes (inside the token
check and the body limits): when a request fails with such an error before any of its answer
was sent, it replays the request's body to the app again, a few times with growing waits
(shared.retry.transient_delays). Should the error persist, the answer is a 503 with
Retry-After, "try again", never a 500. Any other error passes through untouched.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import Message, Receive, Scope, Send

from shared.retry import is_transient_database_error, transient_delays

from .asgi import HttpMiddleware

log = logging.getLogger("runway.http")

BUSY_RETRY_AFTER_S = 1


class TransientRetryMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body: list[Message] = []  # the request's body as the first attempt read it
        waits = iter(transient_delays())
        attempt = 1
        while True:
            run = _Attempt(receive, send, body, replay=attempt > 1)
            try:
                await self.app(scope, run.receive, run.send)
                return
            except Exception as error:
                if run.answered or not is_transient_database_error(error):
                    raise
                delay = next(waits, None)
                if delay is None:
                    log.warning("command still rolled back for its timing; answered 503",
                                extra={"path": scope.get("path"), "attempts": attempt})
                    await _busy(send)
                    return
                log.info("command rolled back for its timing (deadlock or serialization "
                         "failure); running it again", extra={
                             "path": scope.get("path"), "attempt": attempt,
                             "error": repr(error)})
                await asyncio.sleep(delay)
                attempt += 1


class _Attempt:
    """One run of the app: the first records the body it reads, a retry is handed that body
    again; `answered` once any of the answer went out (too late to run it again)."""

    def __init__(self, receive: Receive, send: Send, body: list[Message], *,
                 replay: bool) -> None:
        self._receive, self._send, self._body = receive, send, body
        self._replay = iter(list(body)) if replay else None
        self._recording = not replay
        self.answered = False

    async def receive(self) -> Message:
        if self._replay is not None:
            message = next(self._replay, None)
            if message is not None:
                return message
            self._replay = None
        message = await self._receive()
        if self._recording and message["type"] == "http.request":
            self._body.append(message)
        return message

    async def send(self, message: Message) -> None:
        self.answered = True
        await self._send(message)


async def _busy(send: Send) -> None:
    body = json.dumps({"error": "busy", "detail": "the database rolled this command back "
                       "repeatedly for its timing (deadlock or serialization failure); "
                       "nothing was recorded; send it again"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(BUSY_RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": body})
