"""The console against stand-in services (httpx's MockTransport), for page tests: one case as
intake answers it, and the console app built around a function that answers every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.console.api import Apis
from services.console.app import create_app
from services.console.settings import ConsoleSettings
from shared.topology import SERVICES

CASE = {"case_id": "RWY-1", "full_name": "Rafael Caro Quintero", "legal_basis": "treaty",
        "requesting_district": "EDNY", "status": "in_judicial_process", "clearance": "cleared",
        "request_reference": "OIA-1", "submitted_at": "2025-02-01T00:00:00Z",
        "updated_at": "2025-02-02T00:00:00Z"}
DETAIL = {**CASE, "version": 1, "request": {
    "case_id": "RWY-1", "legal_basis": "treaty", "requesting_district": "EDNY",
    "prosecutor_office": "USAO", "charges": [], "provisional_arrest_date": None,
    "documents": [], "us_request_reference": None, "request_reference": "OIA-1",
    "person": {"person_id": "P", "given_names": "Rafael", "family_names": "Caro Quintero",
               "aliases": [], "date_of_birth": None, "nationality": "Mexican",
               "personal_data": "sealed", "erased_at": None}}}
ORIGIN = {"origin": "http://console.test"}  # a form posted from the console's own page


def console(answer: Callable[[httpx.Request], httpx.Response]) -> TestClient:
    """The console, its services answered by `answer`."""
    settings = ConsoleSettings(live_updates=False, cookie_secret="s" * 32)
    urls = {name: f"http://{name}" for name in (*SERVICES, "audit")}
    app = create_app(settings, Apis(urls, transport=httpx.MockTransport(answer)))
    return TestClient(app, base_url="http://console.test")


Handler = Callable[[httpx.Request], httpx.Response | None]


def one_case(request: httpx.Request) -> httpx.Response | None:
    """Intake's one case (its list, detail and an empty timeline) and no flagged case; other
    calls are passed on."""
    host, path = request.url.host, request.url.path
    if request.method != "GET":
        return None
    if host == "intake" and path == "/cases":
        return httpx.Response(200, json={"cases": [CASE], "count": 1})
    if host == "assurance" and path == "/cases":
        return httpx.Response(200, json={"cases": [], "count": 0})
    if host == "intake" and path == "/cases/RWY-1":
        return httpx.Response(200, json=DETAIL)
    if host == "intake" and path == "/cases/RWY-1/timeline":
        return httpx.Response(200, json={"case_id": "RWY-1", "order": "legal", "events": []})
    return None


def console_with(*handlers: Handler | None) -> TestClient:
    """The console; each handler in turn answers a call or passes it on (None); a call none
    answers is a 404, as a service answers for a case it does not have."""
    def answer(request: httpx.Request) -> httpx.Response:
        for handler in handlers:
            found = handler(request) if handler else None
            if found is not None:
                return found
        return httpx.Response(404, json={"error": "not_found", "detail": request.url.path})

    return console(answer)


def answers(host: str, path: str, body: Any, status: int = 200) -> Handler:
    """A service's answer to one GET (None for any other request: the next handler's)."""
    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.host == host and request.url.path == path:
            return httpx.Response(status, json=body)
        return None
    return handle


def sign_in(client: TestClient, role: str, next_page: str = "/cases") -> httpx.Response:
    response: httpx.Response = client.post(
        "/sign-in", data={"subject": "luz", "role": role, "next": next_page},
        follow_redirects=False)
    return response
