"""The base of Runway's pure ASGI middlewares, which act on HTTP requests only.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which runs the rest of the app in a
task of its own and streams the response through a memory channel (about a tenth of the CPU
of a request under load). Other scopes (lifespan, websocket) go straight to the app.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware(ABC):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request, passing it on to `self.app` or answering it."""
