"""A page shows what its user just recorded, though intake's cross-service timeline learns of
it from Kafka a moment later: after a step the case page waits (boundedly) for the timeline to
reach the stream version the API answered, and a live fragment made before intake caught up
tells the page to ask again. Stand-in APIs (httpx's MockTransport); the browser tests run the
same pages against the real services."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.console import app as console_app

from .stand_ins import DETAIL, console, sign_in

HEARING = {"event_id": "e-2", "source": "/runway/judicial", "event_type": "judicial.hearing_held",
           "schema_version": 1, "stream_version": 2, "occurred_at": "2025-03-01T06:00:00Z",
           "recorded_at": "2025-03-02T00:00:00Z", "actor": "luz (judicial_clerk)", "data": {}}


class Intake:
    """Intake's timeline, which shows the hearing only from its `caught_up_at`-th reading."""

    def __init__(self, caught_up_at: int) -> None:
        self.caught_up_at, self.readings = caught_up_at, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "intake" and path == "/cases/RWY-1":
            return httpx.Response(200, json=DETAIL)
        if host == "intake" and path == "/cases/RWY-1/timeline":
            self.readings += 1
            shown = [HEARING] if self.readings >= self.caught_up_at else []
            return httpx.Response(200, json={"case_id": "RWY-1", "events": shown})
        if host == "judicial" and request.method == "POST":
            return httpx.Response(200, json={"case_id": "RWY-1", "version": 2})
        return httpx.Response(404, json={"error": "not_found", "detail": path})


def client_for(intake: Intake) -> TestClient:
    return console(intake)


def test_the_page_after_a_step_shows_the_act_intake_learns_of_later() -> None:
    intake = Intake(caught_up_at=4)
    client = client_for(intake)
    sign_in(client, "judicial_clerk")
    posted = client.post("/cases/RWY-1/steps/judicial.hearing", data={"held_on": "2025-03-01"},
                         follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == (
        "/cases/RWY-1?recorded=judicial.hearing&version=2#recorded")

    page = client.get(posted.headers["location"])
    assert page.status_code == 200
    assert 'data-event-type="judicial.hearing_held"' in page.text
    assert intake.readings >= 4


def test_a_live_fragment_made_before_intake_caught_up_asks_to_be_fetched_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_app, "LIVE_CATCH_UP_S", 0.3)
    behind = client_for(Intake(caught_up_at=10_000))
    sign_in(behind, "judicial_clerk")
    fragment: Any = behind.get("/cases/RWY-1/live?event=e-2")
    assert fragment.status_code == 200
    assert fragment.headers[console_app.CATCHING_UP_HEADER] == "e-2"

    caught_up = client_for(Intake(caught_up_at=1))
    sign_in(caught_up, "judicial_clerk")
    fragment = caught_up.get("/cases/RWY-1/live?event=e-2")
    assert console_app.CATCHING_UP_HEADER not in fragment.headers
    assert 'data-event-type="judicial.hearing_held"' in fragment.text
