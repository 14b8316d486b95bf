"""Every route of every service, called as every role and as nobody, answers as the
permission matrix (shared/security/permissions.yaml) says: 401 without a token on a
non-public route, 403 for a role the route does not allow, and neither for a role it does.

The services run in-process on real PostgreSQL databases; a route added without a rule in
the matrix makes its app refuse to build, which fails this test first."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from shared.audit.http import create_audit_app
from shared.audit.sources import AuditTarget
from shared.security import load_matrix
from shared.topology import SERVICES
from shared.web.app import create_app
from shared.web.routes import RouteTable
from tests.support import infra
from tests.support.auth import auth_headers
from tests.support.service_app import started_runtime

NOBODY = "(no token)"


def concrete(path: str) -> str:
    """A path with every parameter filled by a value no case or flight has."""
    return re.sub(r"\{[^}]+\}", "RWY-NO-SUCH-ONE", path)


def table_of(app: FastAPI) -> RouteTable:
    table = RouteTable()
    table.add_routes(app.router.routes)
    for route in app.router.routes:
        original = getattr(route, "original_router", None)  # included routers, FastAPI >=0.160
        if original is not None:
            table.add_routes(original.routes)
    return table


@pytest.fixture
async def apps(pg_server: str, pg_template: str, kafka: str
               ) -> AsyncIterator[dict[str, FastAPI]]:
    urls = {name: await infra.create_database(pg_server) for name in SERVICES}
    runtimes = [await started_runtime(importlib.import_module(f"services.{name}.service").SPEC,
                                      urls[name], kafka) for name in SERVICES]
    built = {rt.spec.name: create_app(rt, run_background=False) for rt in runtimes}
    built["audit"] = create_audit_app(AuditTarget(urls, kafka, "walk-no-topics"))
    yield built
    for runtime in runtimes:
        await runtime.close()
    for url in urls.values():
        await infra.drop_database(pg_server, url)


def expected(allowed: tuple[str, ...], public: bool, caller: str) -> str:
    if public:
        return "served"
    if caller == NOBODY:
        return "401"
    return "served" if caller in allowed else "403"


def outcome(status: int) -> str:
    return str(status) if status in (401, 403) else "served"


async def test_every_route_answers_every_role_as_the_matrix_says(
        apps: dict[str, FastAPI]) -> None:
    matrix = load_matrix()
    callers = [NOBODY, *matrix.roles]
    wrong: list[str] = []
    walked = 0
    for service, app in apps.items():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://walk") as http:
                for template in table_of(app).templates():
                    rule = matrix.rule(service, template.method, template.path)
                    assert rule is not None, f"{service} {template.method} {template.path}"
                    for caller in callers:
                        headers = {} if caller == NOBODY else auth_headers(caller)
                        response = await http.request(
                            template.method, concrete(template.path), headers=headers,
                            json={} if template.method in ("POST", "PUT") else None)
                        walked += 1
                        want = expected(rule.roles, rule.public, caller)
                        if outcome(response.status_code) != want or response.status_code >= 500:
                            wrong.append(f"{service} {template.method} {template.path} as "
                                         f"{caller}: {response.status_code}, expected {want}")
    assert wrong == []
    routes = sum(len(matrix.rules(s)) for s in apps) + 3 * len(SERVICES)
    assert walked >= routes * len(callers), "every route was called by every caller"
