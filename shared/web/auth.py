"""Authentication and authorisation of every request, before the router runs.

A pure ASGI middleware finds the request's route in the app's route table, looks its rule up
in the permission matrix, and for a non-public route verifies the bearer token (401 with the
reason when it is missing or invalid) and checks that one of the token's roles is allowed
(403 otherwise). Doing it here, not in a dependency, means a caller without a token learns
nothing from body validation, and no route can forget to ask. The token is never logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from fastapi import HTTPException, Request
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.security import PermissionMatrix, Principal, Rule, TokenRejected, TokenVerifier

from .asgi import HttpMiddleware
from .routes import RouteTable

log = logging.getLogger("runway.auth")


class MissingPermissionRule(RuntimeError):
    """A route of the app has no rule in the permission matrix."""


@dataclass(frozen=True)
class Security:
    """What a service's app needs to decide who may call it."""

    service: str
    matrix: PermissionMatrix
    verifier: TokenVerifier

    def rule(self, method: str, path: str) -> Rule | None:
        return self.matrix.rule(self.service, method, path)

    def check_covers(self, routes: RouteTable) -> None:
        """Refuse to serve a route the matrix has no rule for: default deny, loudly."""
        missing = [f"{t.method} {t.path}" for t in routes.templates()
                   if self.rule(t.method, t.path) is None]
        if missing:
            raise MissingPermissionRule(
                f"no rule in shared/security/permissions.yaml for {self.service}: "
                + ", ".join(missing))


@dataclass(frozen=True, slots=True)
class Denial:
    status: int
    error: str
    detail: str
    challenge: str | None = None


class AuthMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, security: Security, routes: RouteTable) -> None:
        super().__init__(app)
        self.security = security
        self.routes = routes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The path as the router sees it: without the root path a proxy mounts the app under.
        template = self.routes.match(scope["method"], get_route_path(scope))
        state = scope.setdefault("state", {})
        state["route_template"] = template  # the metrics label it, without matching again
        if template is None:  # not a route: the router answers 404 or 405
            await self.app(scope, receive, send)
            return
        rule = self.security.rule(template.method, template.path)
        outcome = await self._decide(rule, _bearer_token(scope))
        if isinstance(outcome, Denial):
            log.info("request refused", extra={"status": outcome.status, "reason": outcome.detail,
                                               "route": f"{template.method} {template.path}"})
            await _deny(outcome, send)
            return
        state["authorized_route"] = f"{template.method} {template.path}"
        if outcome is not None:
            state["principal"], state["acting_role"] = outcome
        await self.app(scope, receive, send)

    async def _decide(self, rule: Rule | None, token: str | None
                      ) -> Denial | tuple[Principal, str] | None:
        if rule is None:
            return Denial(403, "forbidden", "no permission rule covers this route")
        if rule.public:
            return None
        if token is None:
            return Denial(401, "unauthenticated", "a bearer token is required",
                          'Bearer realm="runway"')
        try:
            principal = await self.security.verifier.verify(token)
        except TokenRejected as rejected:
            return Denial(401, "invalid_token", rejected.reason,
                          f'Bearer realm="runway", error="invalid_token", '
                          f'error_description="{rejected.reason}"')
        role = self.security.matrix.acting_role(rule, principal.roles)
        if role is None:
            held = ", ".join(sorted(principal.roles)) or "no Runway role"
            return Denial(403, "forbidden",
                          f"{rule.route} requires one of: {', '.join(rule.roles)}; "
                          f"the token holds {held}",
                          'Bearer realm="runway", error="insufficient_scope"')
        return principal, role


async def ensure_authorized(request: Request) -> None:
    """Defence in depth, as an app-wide dependency: a route the middleware did not recognise
    (one added to the app behind the route table's back) is refused, never served open."""
    if getattr(request.state, "authorized_route", None) is None:
        raise HTTPException(403, detail="no permission rule covers this route")


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return str(token.strip())
            return None
    return None


async def _deny(denial: Denial, send: Send) -> None:
    body = json.dumps({"error": denial.error, "detail": denial.detail}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if denial.challenge:
        headers.append((b"www-authenticate", denial.challenge.encode()))
    await send({"type": "http.response.start", "status": denial.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
