"""The permission matrix as data: consistent, and covering exactly the routes that exist."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest
from fastapi import FastAPI

from shared.contracts.readme import step_paths
from shared.security import load_matrix
from shared.security.permissions import render_markdown
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topology import SERVICES
from shared.web.app import create_app
from shared.web.auth import MissingPermissionRule, Security
from shared.web.routes import RouteTable
from tests.support.auth import auth_headers

REQUIRED_ROLES = {"operator", "judicial_clerk", "assurance_officer", "transport_officer",
                  "court_clerk", "auditor", "service"}


def service_routes(name: str) -> RouteTable:
    spec = importlib.import_module(f"services.{name}.service").SPEC
    runtime = ServiceRuntime(spec, ServiceSettings(
        service_name=name, service_database_url="sqlite+aiosqlite:///:memory:"))
    table = RouteTable()
    table.add_routes(create_app(runtime, run_background=False).router.routes)
    for router in spec.routers(runtime):
        table.add_router(router)
    return table


def test_the_matrix_has_the_roles_the_issue_asks_for() -> None:
    assert set(load_matrix().roles) >= REQUIRED_ROLES


@pytest.mark.parametrize("service", SERVICES)
def test_every_rule_names_a_route_that_exists(service: str) -> None:
    """A rule left behind by a removed or renamed route is a hole waiting for a new route."""
    existing = {f"{t.method} {t.path}" for t in service_routes(service).templates()}
    stale = [rule.route for rule in load_matrix().rules(service) if rule.route not in existing]
    assert stale == []


def test_the_auditor_and_the_service_role_change_nothing() -> None:
    matrix = load_matrix()
    writes = [(service, rule.route) for service in matrix.services()
              for rule in matrix.rules(service)
              if rule.method != "GET" and {"auditor", "service"} & set(rule.roles)]
    assert writes == []


def test_an_app_with_a_route_the_matrix_does_not_know_refuses_to_build() -> None:
    spec = importlib.import_module("services.intake.service").SPEC
    runtime = ServiceRuntime(spec, ServiceSettings(
        service_name="intake", service_database_url="sqlite+aiosqlite:///:memory:"))
    matrix = load_matrix("""
roles: {operator: submits}
public: [GET /healthz, GET /readyz, GET /metrics]
services:
  intake:
    POST /cases: [operator]
""")
    security = Security("intake", matrix, verifier=None)  # type: ignore[arg-type]
    with pytest.raises(MissingPermissionRule, match=re.escape("GET /cases/{case_id}/timeline")):
        create_app(runtime, run_background=False, security=security)


def test_a_rule_naming_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role 'clerk'"):
        load_matrix("roles: {operator: x}\nservices: {intake: {POST /cases: [clerk]}}\n")


def test_a_caller_with_several_roles_acts_under_the_first_the_route_allows() -> None:
    matrix = load_matrix()
    rule = matrix.rule("intake", "POST", "/cases")
    assert rule is not None
    assert matrix.acting_role(rule, {"auditor", "operator"}) == "operator"
    assert matrix.acting_role(rule, {"auditor"}) is None


def test_the_security_page_shows_the_matrix_as_it_is() -> None:
    from shared.contracts.readme import DOCUMENT

    page = DOCUMENT.read_text(encoding="utf-8")
    assert render_markdown(load_matrix(), step_paths()) in page, \
        "run `make contracts` to refresh it"


def test_every_judicial_step_is_a_clerks_act_from_the_table_alone() -> None:
    """A row added to judicial's step table needs no row in permissions.yaml: the `steps:`
    rule covers it, the page lists it, and only the judicial clerk may record it."""
    from services.judicial.api import STEPS

    matrix = load_matrix()
    page = render_markdown(matrix, step_paths())
    for step in STEPS:
        rule = matrix.rule("judicial", "POST", f"/cases{step.path}")
        assert rule is not None and rule.roles == ("judicial_clerk",), step.path
        assert f"`POST /cases{step.path}`" in page
    assert matrix.rule("judicial", "GET", "/cases/{case_id}/hearing") is None
    assert matrix.rule("judicial", "POST", "/cases/{case_id}/hearing/extra") is None


def test_a_route_with_its_own_rule_keeps_it_beside_a_steps_rule() -> None:
    matrix = load_matrix("""
roles: {clerk: records, auditor: reads}
services:
  judicial:
    steps: [clerk]
    POST /cases/{case_id}/special: [auditor]
""")
    step, own = (matrix.rule("judicial", "POST", f"/cases/{{case_id}}/{name}")
                 for name in ("hearing", "special"))
    assert step is not None and step.roles == ("clerk",)
    assert own is not None and own.roles == ("auditor",)
    assert matrix.rule("intake", "POST", "/cases/{case_id}/hearing") is None


async def test_a_route_added_behind_the_route_tables_back_is_refused_not_served() -> None:
    spec = importlib.import_module("services.intake.service").SPEC
    runtime = ServiceRuntime(spec, ServiceSettings(
        service_name="intake", service_database_url="sqlite+aiosqlite:///:memory:"))
    app = create_app(runtime, run_background=False)

    @app.get("/export-everything")
    async def export_everything() -> dict[str, bool]:
        return {"served": True}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        for headers in ({}, auth_headers("auditor")):
            response = await http.get("/export-everything", headers=headers)
            assert response.status_code == 403, response.text


def intake_app() -> FastAPI:
    spec = importlib.import_module("services.intake.service").SPEC
    runtime = ServiceRuntime(spec, ServiceSettings(
        service_name="intake", service_database_url="sqlite+aiosqlite:///:memory:"))
    return create_app(runtime, run_background=False)


async def test_behind_a_proxy_prefix_routes_are_recognised_not_refused() -> None:
    transport = httpx.ASGITransport(app=intake_app(), root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        assert (await http.get("/api/healthz")).status_code == 200
        assert (await http.get("/api/cases")).status_code == 401


async def test_made_up_methods_do_not_grow_the_metrics() -> None:
    transport = httpx.ASGITransport(app=intake_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        for n in range(5):
            await http.request(f"X{n}", "/cases")
        await http.get("/cases/RWY-0000000001")  # refused (no token), still counted
        metrics = (await http.get("/metrics")).text
    assert 'method="X0"' not in metrics
    assert 'method="OTHER"' in metrics
    assert 'route="/cases/{case_id}",status="401"' in metrics, "labelled by template"
    assert "RWY-0000000001" not in metrics
