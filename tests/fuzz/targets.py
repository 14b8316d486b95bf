"""The apps the fuzzer runs against: each service on a fresh PostgreSQL database, seeded with a
case (and for transport a flight) through the same events and API calls production sees, so
the generated commands reach the domain rules instead of stopping at "no such case"; and the
auditors' app reading those services' stores."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.assurance.service import SPEC as ASSURANCE
from services.court.service import SPEC as COURT
from services.intake.service import SPEC as INTAKE
from services.judicial import events as judicial
from services.judicial.service import SPEC as JUDICIAL
from services.transport.service import SPEC as TRANSPORT
from shared.audit.http import create_audit_app
from shared.audit.sources import AuditTarget
from shared.legaltime import legal_date
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ServiceRuntime, ServiceSpec
from shared.web.app import create_app
from tests.support.auth import auth_headers
from tests.support.infra import create_database, drop_database, fresh_namespace
from tests.support.requests import request
from tests.support.service_app import feed, off_kafka, started_runtime

from .harness import Budget, LoopDriver, Report, Started, fuzz_app

SPECS: dict[str, ServiceSpec] = {s.name: s for s in (INTAKE, JUDICIAL, ASSURANCE, TRANSPORT,
                                                      COURT)}
SERVICES = (*SPECS, "audit")
Seed = Callable[[ServiceRuntime, httpx.AsyncClient], Awaitable[dict[str, str]]]


def _case_id() -> str:
    return f"RWY-{uuid.uuid4().hex[:10].upper()}"


def _event(source: str, event_type: str, payload: dict[str, Any], case_id: str
           ) -> ConsumedEvent:
    return off_kafka(source, event_type, payload, case_id, at=datetime.now(UTC))


def _submitted(case_id: str, *, capital: bool = False) -> ConsumedEvent:
    return _event("intake", "intake.request_submitted",
                  {"case_id": case_id, **request(capital=capital)}, case_id)


def _surrender_ordered(case_id: str) -> ConsumedEvent:
    today = legal_date(datetime.now(UTC))
    payload = judicial.SurrenderOrdered(
        case_id=case_id, legal_basis=judicial.LegalBasis.TREATY, requesting_district="EDNY",
        ordered_on=today - timedelta(days=5), kind=judicial.SurrenderKind.FULL,
        pickup_days=60, pickup_deadline_on=today + timedelta(days=55), return_obligation=False,
        granted_charge_ids=("c1",))
    return _event("judicial", payload.EVENT_TYPE, payload.model_dump(mode="json"), case_id)


async def _seed_intake(_rt: ServiceRuntime, http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post("/cases", json=request(), headers=auth_headers("operator"))
    assert response.status_code == 201, response.text
    return {"case_id": response.json()["case_id"]}


async def _seed_judicial(rt: ServiceRuntime, _http: httpx.AsyncClient) -> dict[str, str]:
    case_id = _case_id()
    await feed(rt, _submitted(case_id))
    return {"case_id": case_id}


async def _seed_assurance(rt: ServiceRuntime, _http: httpx.AsyncClient) -> dict[str, str]:
    case_id = _case_id()
    await feed(rt, _submitted(case_id, capital=True))
    return {"case_id": case_id}


async def _seed_transport(rt: ServiceRuntime, http: httpx.AsyncClient) -> dict[str, str]:
    case_id = _case_id()
    await feed(rt, _submitted(case_id))
    await feed(rt, _surrender_ordered(case_id))
    flight = await http.post("/flights", headers=auth_headers("transport_officer"), json={
        "aircraft": "XC-FZZ", "capacity": 4, "departure_base": "Mexico City (AIFA)",
        "scheduled_departure": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "stops": ["JFK"]})
    assert flight.status_code == 201, flight.text
    return {"case_id": case_id, "flight_id": flight.json()["flight_id"]}


async def _seed_court(rt: ServiceRuntime, _http: httpx.AsyncClient) -> dict[str, str]:
    case_id = _case_id()
    await feed(rt, _submitted(case_id))
    await feed(rt, _surrender_ordered(case_id))
    landed = {"case_id": case_id, "flight_id": "FLT-FUZZ", "airport": "JFK", "district": "EDNY",
              "landed_at": datetime.now(UTC).isoformat(), "stop": 1}
    await feed(rt, _event("transport", "transport.person_landed", landed, case_id))
    return {"case_id": case_id}


SEEDS: dict[str, Seed] = {"intake": _seed_intake, "judicial": _seed_judicial,
                          "assurance": _seed_assurance, "transport": _seed_transport,
                          "court": _seed_court}


class Databases:
    """Fresh databases on the PostgreSQL server, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.urls: dict[str, str] = {}

    async def create(self, service: str) -> str:
        self.urls[service] = await create_database(self.server_url)
        return self.urls[service]

    async def drop(self) -> None:
        for url in self.urls.values():
            await drop_database(self.server_url, url)


async def start_service(name: str, databases: Databases, kafka: str,
                        namespace: str) -> Started:
    runtime = await started_runtime(SPECS[name], await databases.create(name), kafka,
                                    namespace=namespace)
    app = create_app(runtime, run_background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seed") as http:
        known = await SEEDS[name](runtime, http)
    return Started(name, app, known, runtime.close)


async def _nothing() -> None:
    return None


def start_audit(databases: Databases, kafka: str, namespace: str,
                known_case: str | None) -> Started:
    """The auditors' app over the services' databases (fuzzed after them, so it has data)."""
    app = create_audit_app(AuditTarget(dict(databases.urls), kafka, namespace))
    return Started("audit", app, {"case_id": known_case} if known_case else {}, _nothing)


def new_namespace() -> str:
    return fresh_namespace("fz")


def fuzz_services(names: Sequence[str], server_url: str, kafka: str,
                  budget: Budget) -> list[Report]:
    """Fuzz each named app in turn (synchronous: call it through `run_in_thread`). The audit
    app reads the databases of the services fuzzed before it (intake's, seeded, if none)."""
    driver = LoopDriver()
    databases = Databases(server_url)
    namespace = new_namespace()
    reports: list[Report] = []
    known_case: str | None = None
    try:
        for name in names:
            if name == "audit":
                if not databases.urls:
                    helper = driver.run(start_service("intake", databases, kafka, namespace))
                    known_case = helper.known_ids["case_id"]
                    driver.run(helper.close())
                started = start_audit(databases, kafka, namespace, known_case)
            else:
                started = driver.run(start_service(name, databases, kafka, namespace))
                known_case = started.known_ids.get("case_id", known_case)
            try:
                reports.append(fuzz_app(driver, started, budget))
            finally:
                driver.run(started.close())
    finally:
        driver.run(databases.drop())
        driver.close()
    return reports
