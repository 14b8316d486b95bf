"""The end-of-run checks of a chaos run fail when they could not see what they check: cases
the read APIs never answered for, and a consumer that applied none of the events it declares
it handles. Fakes stand in for the services, the stores and Kafka."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.chaos import checks
from shared.chaos import client as chaos_client
from shared.chaos.workload import CaseScript, Kind, Played
from shared.messaging.topics import events_topic

NAMESPACE = "chaos1"
JUDICIAL_TOPIC = events_topic("judicial", NAMESPACE)
# Three of judicial's events transport's consumer of them declares it handles, and one it
# does not (a hearing is judicial's own business).
HANDLED = {"e1": "judicial.case_opened", "e2": "judicial.surrender_ordered",
           "e3": "judicial.surrender_ordered"}
UNHANDLED = {"e4": "judicial.hearing_held"}


async def test_the_oracle_check_fails_when_no_case_could_be_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chaos_client, "local_tokens", lambda subject, role: "token")
    monkeypatch.setattr(chaos_client, "COMMAND_DEADLINE_S", 0.3)
    monkeypatch.setattr(chaos_client, "FIRST_PAUSE_S", 0.05)
    monkeypatch.setattr(checks, "SETTLE_S", 2.0)

    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>503 Service Unavailable</html>")

    services = ("judicial", "transport", "court")
    api = chaos_client.ChaosApi({s: f"http://{s}" for s in services})
    for s in services:
        api._clients[s] = httpx.AsyncClient(base_url=f"http://{s}",
                                            transport=httpx.MockTransport(unavailable))
    people = [Played(CaseScript(n, Kind.TREATY, "EDNY", removed=False, tag="t"),
                     case_id=f"case-{n}") for n in range(1, 4)]
    try:
        check, details = await checks.oracle_check(api, people)
        unread = await checks.observed_or_none(api, people[0])
    finally:
        await api.close()
    assert not check.ok, f"no case could be read, yet the oracle check says: {check.detail}"
    assert len(details["mismatches"]) == 3
    assert all("could not be read" in why for why in details["mismatches"].values())
    assert unread == {}, "the run's next step would die on the same unanswered read"


def _fake_sources(monkeypatch: pytest.MonkeyPatch, on_kafka: dict[str, dict[str, str]],
                  stores: dict[str, dict[str, Any]]) -> None:
    async def topic_events(bootstrap: str, topic: str) -> dict[str, str]:
        return dict(on_kafka.get(topic, {}))

    async def fetch(url: str, sql: str) -> list[dict[str, Any]]:
        store = stores[url]
        if "FROM outbox" in sql:
            return [{"n": 0}]
        if "FROM inbox" in sql:
            return list(store["inbox"])
        if "GROUP BY" in sql:
            return []
        return [{"event_id": e} for e in store["events"]]

    monkeypatch.setattr(checks, "topic_events", topic_events)
    monkeypatch.setattr(checks, "_fetch", fetch)


async def _no_event_lost(monkeypatch: pytest.MonkeyPatch, applied: list[str]) -> checks.Check:
    """The check, on judicial's four events and transport's inbox holding `applied`."""
    judicial_events = {**HANDLED, **UNHANDLED}
    inbox = [{"consumer": "transport.judicial-events", "topic": JUDICIAL_TOPIC, "event_id": e}
             for e in applied]
    _fake_sources(monkeypatch, {JUDICIAL_TOPIC: judicial_events},
                  {"judicial": {"events": list(judicial_events), "inbox": []},
                   "transport": {"events": [], "inbox": inbox}})
    target = checks.Target({"judicial": "judicial", "transport": "transport"},
                           "127.0.0.1:1", NAMESPACE)
    lost, _twice, _numbers = await checks.events_check(target)
    return lost


@pytest.mark.parametrize("applied", [[], ["e1"]], ids=["none at all", "one type only"])
async def test_no_event_lost_sees_a_consumer_that_applied_none_of_a_type(
        monkeypatch: pytest.MonkeyPatch, applied: list[str]) -> None:
    lost = await _no_event_lost(monkeypatch, applied)
    assert not lost.ok, (f"transport applied {len(applied)} of the 3 judicial events it "
                         f"handles, yet 'no event lost' says: {lost.detail}")
    assert "transport/transport.judicial-events" in lost.detail


async def test_no_event_lost_holds_when_every_handled_event_was_applied(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lost = await _no_event_lost(monkeypatch, list(HANDLED))
    assert lost.ok, lost.detail
