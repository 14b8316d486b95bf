"""The chaos client takes a refusal that follows a lost answer as "already applied" only when
the refusal says the act is on the record; any other refusal is the caller's to act on. A
mock transport stands in for judicial."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest

from shared.chaos import client as chaos_client
from shared.chaos.workload import Calendar, CaseScript, CaseWalker, Kind, Played

# Sized for a machine three times slower than a developer's; the pauses here are 10 ms.
WAIT_S = 30.0


def _judicial(monkeypatch: pytest.MonkeyPatch,
              answers: list[httpx.Response]) -> tuple[chaos_client.ChaosApi, list[int]]:
    """A client whose judicial answers `answers` in turn (the last one from then on)."""
    monkeypatch.setattr(chaos_client, "local_tokens", lambda subject, role: "token")
    monkeypatch.setattr(chaos_client, "FIRST_PAUSE_S", 0.01)
    posts: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posts.append(len(posts))
        return answers[min(len(posts), len(answers)) - 1]

    api = chaos_client.ChaosApi({"judicial": "http://judicial"})
    api._clients["judicial"] = httpx.AsyncClient(base_url="http://judicial",
                                                 transport=httpx.MockTransport(answer))
    return api, posts


async def test_the_surrender_is_ordered_although_a_refusal_followed_a_lost_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    api, posts = _judicial(monkeypatch, [
        httpx.Response(503, json={"error": "unavailable"}),  # replica killed: fate unknown
        httpx.Response(409, json={"rule": "amparo_window_open"}),
        httpx.Response(409, json={"rule": "amparo_window_open"}),
        httpx.Response(200, json={"version": 9})])
    walker = CaseWalker(api, Calendar(date(2025, 8, 1)))
    played = Played(CaseScript(1, Kind.TREATY, "EDNY", removed=False, tag="t"), case_id="c1")
    try:
        await asyncio.wait_for(walker.order_surrender(played), timeout=WAIT_S)
    finally:
        await api.close()
    assert len(posts) == 4, (f"the poll stopped after {len(posts)} POSTs: an amparo-window "
                             "refusal after a 503 was taken as the surrender ordered")
    assert played.refusals == []


async def test_a_refusal_as_already_recorded_after_a_lost_answer_is_applied(
        monkeypatch: pytest.MonkeyPatch) -> None:
    api, posts = _judicial(monkeypatch, [
        httpx.Response(503, json={"error": "unavailable"}),
        httpx.Response(409, json={"rule": "surrender_already_ordered"})])
    try:
        answer = await api.post("judicial", "/cases/c1/surrender-order", {})
    finally:
        await api.close()
    assert answer["already_applied"] is True
    assert len(posts) == 2
    assert api.stats.retries["applied before the answer was lost"] == 1


async def test_a_rule_refusal_without_a_lost_answer_is_the_callers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    api, _posts = _judicial(monkeypatch, [
        httpx.Response(409, json={"rule": "surrender_already_ordered"})])
    try:
        with pytest.raises(chaos_client.Refused, match="surrender_already_ordered"):
            await api.post("judicial", "/cases/c1/surrender-order", {})
    finally:
        await api.close()
