"""The console's pages against stand-in APIs (httpx's MockTransport): sign-in, the cookie,
redirect targets, cross-site posts, and a refused step re-rendered with the rule and the input.
The browser tests run the same pages against the real services."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from .stand_ins import CASE, DETAIL, console, sign_in


def answer(request: httpx.Request) -> httpx.Response:
    """Intake knows one case; judicial refuses a hearing before the formal request."""
    host, path = request.url.host, request.url.path
    if request.headers.get("authorization", "").count(".") != 2:
        return httpx.Response(401, json={"error": "unauthenticated", "detail": "no token"})
    if host == "intake" and path == "/cases":
        return httpx.Response(200, json={"cases": [CASE], "count": 1})
    if host == "assurance" and path == "/cases":
        assert request.url.params["transfer_flagged"] == "true"
        return httpx.Response(200, json={"cases": [{"case_id": "RWY-1"}], "count": 1})
    if host == "intake" and path == "/cases/RWY-1":
        return httpx.Response(200, json=DETAIL)
    if host == "intake" and path == "/cases/RWY-1/timeline":
        return httpx.Response(200, json={"case_id": "RWY-1", "events": []})
    if host == "judicial" and request.method == "POST":
        assert json.loads(request.content) == {"held_on": "2025-03-01"}
        return httpx.Response(409, json={"error": "rule_violation",
                                         "rule": "case_not_opened", "detail": "not yet"})
    return httpx.Response(404, json={"error": "not_found", "detail": path})


@pytest.fixture
def client() -> TestClient:
    return console(answer)


def test_a_page_sends_a_stranger_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/cases?q=caro", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fcases%3Fq%3Dcaro"


def test_signing_in_sets_an_httponly_lax_cookie_and_goes_only_to_a_local_page(
        client: TestClient) -> None:
    response = sign_in(client, "judicial_clerk", "//evil.example/steal")
    assert response.headers["location"] == "/steal"  # that path, on this site
    assert sign_in(client, "auditor", "javascript:alert(1)").headers["location"] == "/cases"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert sign_in(client, "service").status_code == 422  # not a person's role


def test_a_form_posted_from_another_site_is_refused(client: TestClient) -> None:
    sign_in(client, "judicial_clerk")
    response = client.post("/cases/RWY-1/steps/judicial.hearing", data={"held_on": "x"},
                           headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_the_list_searches_and_counts(client: TestClient) -> None:
    sign_in(client, "auditor")
    page = client.get("/cases?q=quintero").text
    assert "1 cases found" in page and "Rafael Caro Quintero" in page
    assert "0 cases found" in client.get("/cases?q=guzman").text
    flagged = client.get("/cases?flagged=yes").text
    assert "1 cases found" in flagged and 'data-flagged="true"' in flagged
    assert "0 cases found" in client.get("/cases?flagged=no").text


def test_dates_follow_the_users_language_and_instants_name_the_legal_zone(
        client: TestClient) -> None:
    sign_in(client, "auditor")
    # updated 2025-02-02T00:00Z: the evening of Feb 1 in Mexico City.
    assert "Feb 1, 2025, 6:00 PM CST" in client.get("/cases").text
    client.cookies.set("runway_lang", "es")
    assert "1 feb 2025, 18:00 CST" in client.get("/cases").text


def test_the_list_fragment_for_live_updates_keeps_the_query(client: TestClient) -> None:
    sign_in(client, "auditor")
    page = client.get("/cases?q=quintero&sort=name").text
    assert 'data-live-fragment="/cases/live?q=quintero&amp;sort=name' in page
    fragment = client.get("/cases/live?q=quintero").text
    assert "1 cases found" in fragment and "<html" not in fragment


def test_a_refused_step_shows_the_rule_and_keeps_the_input(client: TestClient) -> None:
    sign_in(client, "judicial_clerk")
    response = client.post("/cases/RWY-1/steps/judicial.hearing",
                           data={"held_on": "2025-03-01"},
                           headers={"origin": "http://console.test"})
    assert response.status_code == 409
    page = response.text
    assert "the case has not been opened in this service yet" in page  # the registry's text
    assert 'value="2025-03-01"' in page
    assert "not yet" in page  # the API's own detail


def test_forms_follow_the_role(client: TestClient) -> None:
    sign_in(client, "auditor")
    page = client.get("/cases/RWY-1").text
    assert "Your role records nothing on this page." in page
    sign_in(client, "judicial_clerk")
    assert "/cases/RWY-1/steps/judicial.hearing" in client.get("/cases/RWY-1").text


def test_spanish_when_the_browser_prefers_it(client: TestClient) -> None:
    sign_in(client, "auditor")
    page = client.get("/cases/RWY-1", headers={"accept-language": "es-MX,es;q=0.9"}).text
    assert "Qué detiene el caso" in page and '<html lang="es">' in page


