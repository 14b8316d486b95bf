"""Runway as a cluster (issue 16): three Kafka brokers, two replicas each of intake and
judicial as real processes sharing their service's PostgreSQL database, HAProxy in front.

The tests of this module share one cluster and run in order: each leaves it whole (a killed
broker or replica is started again before the test ends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.partitioner import DefaultPartitioner

from shared.db import Database
from shared.infra.cluster import Cluster
from shared.legaltime import legal_date
from shared.messaging.cloudevents import from_kafka
from tests.support.auth import auth_headers, service_headers
from tests.support.cluster import SERVICES, running_cluster
from tests.support.infra import kafka_admin
from tests.support.kafka_read import read_topic, wait_for
from tests.support.requests import request

# Three JVMs and four services on a 2-core box: starting them takes minutes, not seconds.
pytestmark = pytest.mark.timeout(900)

OPERATOR = auth_headers("operator", "op-cluster")
CLERK = auth_headers("judicial_clerk", "clerk-cluster")
TODAY = legal_date(datetime.now(UTC))
# Deadlines sized for a machine three times slower than a developer's.
FLOW_S = 120.0
HEALTH_S = 60.0


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
async def cluster(pg_server: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Cluster]:
    root = Path(tmp_path_factory.mktemp("cluster"))
    # The scheduler's round is short so a timer test need not wait a second per round.
    async with running_cluster(pg_server, root, "cluster",
                               env={"SCHEDULER_INTERVAL_S": "0.2"}) as running:
        yield running


async def submit(cluster: Cluster, body: dict[str, Any]) -> str:
    """A case entered through intake's load balancer; its id once judicial has opened it."""
    async with httpx.AsyncClient(base_url=cluster.layout.url("intake"), timeout=30) as http:
        response = await http.post("/cases", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    await judicial_view(cluster, case_id, lambda view: True, "judicial opened the case")
    return case_id


async def judicial_view(cluster: Cluster, case_id: str, condition: Any, what: str,
                        url: str | None = None) -> dict[str, Any]:
    """Judicial's view of a case once `condition` holds, read at `url` (the balancer)."""
    seen: dict[str, Any] = {}

    async def holds() -> bool:
        async with httpx.AsyncClient(base_url=url or cluster.layout.url("judicial"),
                                     timeout=10) as http:
            response = await http.get(f"/cases/{case_id}", headers=service_headers("judicial"))
        if response.status_code != 200:
            return False
        seen.clear()
        seen.update(response.json())
        return bool(condition(seen))

    try:
        await wait_for(holds, timeout=FLOW_S, what=f"{case_id}: {what}")
    except AssertionError as error:
        raise AssertionError(f"{error}; last seen: {seen}") from None
    return seen


async def clerk(url: str, case_id: str, step: str, body: dict[str, Any],
                version: int | None = None) -> httpx.Response:
    headers = {**CLERK, **({"If-Match": str(version)} if version is not None else {})}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post(f"/cases/{case_id}/{step}", json=body, headers=headers)


async def judicial_events(cluster: Cluster, case_id: str) -> dict[str, str]:
    """The case's judicial events on Kafka, by event id (a re-sent duplicate counts once)."""
    topic = f"{cluster.layout.namespace}.runway.judicial.events"
    events = {}
    for record in await read_topic(cluster.layout.bootstrap, topic):
        event = from_kafka(list(record.headers), record.value)
        if event.subject == case_id:
            events[str(event.event_id)] = event.event_type
    return events


async def events_reach_kafka(cluster: Cluster, case_id: str, version: int) -> dict[str, str]:
    """Wait until every one of the case's `version` judicial events is on Kafka."""
    found: dict[str, str] = {}

    async def all_there() -> bool:
        found.clear()
        found.update(await judicial_events(cluster, case_id))
        return len(found) >= version

    await wait_for(all_there, timeout=FLOW_S, what=f"{version} judicial events of {case_id}")
    return found


async def leader_of(cluster: Cluster, topic: str, key: str) -> int:
    """The node id of the broker leading the partition `key` goes to."""
    async with kafka_admin(cluster.layout.bootstrap) as admin:
        (described,) = await admin.describe_topics([topic])
    partitions = sorted(p["partition"] for p in described["partitions"])
    chosen = DefaultPartitioner()(key.encode(), partitions, partitions)
    return int(next(p["leader"] for p in described["partitions"]
                    if p["partition"] == chosen))


def replica_urls(cluster: Cluster, service: str) -> list[str]:
    return [f"http://127.0.0.1:{port}" for port in cluster.layout.replica_ports[service]]


async def test_every_event_topic_lives_on_all_three_brokers(cluster: Cluster) -> None:
    """Replication factor 3 and min.insync.replicas 2: an acknowledged event (acks=all) is on
    at least two brokers, so losing any one of them loses nothing."""
    topics = [f"{cluster.layout.namespace}.runway.{s}.events" for s in SERVICES]
    async with kafka_admin(cluster.layout.bootstrap) as admin:
        described = await admin.describe_topics(topics)
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics])
    replicas = {t["topic"]: {len(p["replicas"]) for p in t["partitions"]} for t in described}
    assert replicas == {topic: {3} for topic in topics}
    min_isr = {resource[3]: entry[1] for response in configs
               for resource in response.resources for entry in resource[4]
               if entry[0] == "min.insync.replicas"}
    assert min_isr == {topic: "2" for topic in topics}


async def test_a_case_crosses_the_cluster_while_a_broker_is_killed(cluster: Cluster) -> None:
    """Submitted through HAProxy, a case reaches judicial; one broker is SIGKILLed between
    intake's write and judicial's reading of it; nothing is lost and the flow completes."""
    async with httpx.AsyncClient(base_url=cluster.layout.url("intake"), timeout=30) as http:
        response = await http.post("/cases", json=request(given="Broker", family="Muerto"),
                                   headers=OPERATOR)
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    # the broker leading the case's partition of intake's topic, which judicial reads next
    victim = await leader_of(cluster, f"{cluster.layout.namespace}.runway.intake.events",
                             case_id)
    await cluster.kill_broker(victim)
    try:
        for url in replica_urls(cluster, "judicial"):  # both replicas read the one database
            await judicial_view(cluster, case_id, lambda view: True, "opened", url=url)
        answer = await clerk(cluster.layout.url("judicial"), case_id, "formal-request",
                             {"received_on": days_ago(5)})
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
        events = await events_reach_kafka(cluster, case_id, version)
        assert len(events) == version, events  # no event lost, none invented
        assert "judicial.formal_request_received" in events.values()
    finally:
        await cluster.restart_broker(victim)


async def test_a_killed_replica_is_taken_out_and_no_request_fails(cluster: Cluster) -> None:
    """Requests flow through HAProxy without pause while an intake replica is SIGKILLed:
    once the health check has marked it down, every answer comes from the other replica."""
    case_id = await submit(cluster, request(given="Replica", family="Caída"))
    answers: list[tuple[bool, int]] = []  # (sent after the check noticed, status)
    noticed = asyncio.Event()
    enough = asyncio.Event()

    async def keep_asking() -> None:
        async with httpx.AsyncClient(base_url=cluster.layout.url("intake"),
                                     timeout=30) as http:
            while not enough.is_set():
                after = noticed.is_set()
                answer = await http.get(f"/cases/{case_id}", headers=service_headers("intake"))
                answers.append((after, answer.status_code))
                if sum(1 for a, _ in answers if a) >= 40:
                    enough.set()

    asking = asyncio.create_task(keep_asking())
    try:
        await cluster.kill_replica("intake", 0)
        await cluster.wait_balanced(within=HEALTH_S, expect={"intake-1": "DOWN",
                                                             "intake-2": "UP"})
        noticed.set()
        await asyncio.wait_for(asking, timeout=FLOW_S)
        async with httpx.AsyncClient(base_url=cluster.layout.url("intake"),
                                     timeout=30) as http:
            created = await http.post("/cases", json=request(given="Otra", family="Vez"),
                                      headers=OPERATOR)
    finally:
        enough.set()
        await asyncio.gather(asking, return_exceptions=True)
        await cluster.restart_replica("intake", 0)
    after = [status for was_after, status in answers if was_after]
    assert after == [200] * len(after) and len(after) >= 40, after
    assert created.status_code == 201, created.text
    await cluster.wait_balanced(within=HEALTH_S, expect={"intake-1": "UP"})


async def test_two_replicas_never_lose_an_update(cluster: Cluster) -> None:
    """The same stale version sent to both judicial replicas at once: one command is
    recorded, the other is a 409 naming the version it expected; none overwrites the other."""
    case_id = await submit(cluster, request(given="Dos", family="Réplicas"))
    first, second = replica_urls(cluster, "judicial")
    version = (await judicial_view(cluster, case_id, lambda view: True, "opened"))["version"]
    answers = await asyncio.gather(
        clerk(first, case_id, "formal-request", {"received_on": days_ago(9)}, version),
        clerk(second, case_id, "formal-request", {"received_on": days_ago(8)}, version))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    # The loser read the case either before the winner's commit (its append then finds the
    # stream moved on) or after it (the request is already there, a rule refusal first).
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused.get("expected_version") == version or refused.get("rule") == \
        "formal_request_already_received", refused
    recorded = next(a for a in answers if a.status_code == 200).json()
    assert recorded["version"] == version + 1
    # A step the rules allow, sent to the other replica on the version before that update.
    stale = await clerk(second, case_id, "hearing", {"held_on": days_ago(7)}, version)
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"] == "concurrency_conflict", stale.text
    assert stale.json()["expected_version"] == version
    view = await judicial_view(cluster, case_id, lambda v: True, "read back", url=first)
    assert view["version"] == version + 1
    assert len(await events_reach_kafka(cluster, case_id, version + 1)) == version + 1


async def test_each_timer_fires_once_with_two_schedulers(cluster: Cluster) -> None:
    """Both judicial replicas run the scheduler every 0.2 s over the same timer table:
    provisional detentions ordered 61 days ago lapse once each, never twice."""
    arrested = days_ago(61)
    cases = [await submit(cluster, request(
        given=f"Plazo {n}", family="Vencido", provisional_arrest_date=arrested,
        documents=[{"kind": "arrest_warrant", "reference": f"W-{n}"}])) for n in range(4)]
    ordered = await asyncio.gather(*(
        clerk(cluster.layout.url("judicial"), case_id, "provisional-detention",
              {"ordered_on": arrested}) for case_id in cases))
    assert [o.status_code for o in ordered] == [200] * len(cases), [o.text for o in ordered]
    database = Database(cluster.database_url("judicial"), pool_size=2)
    try:
        # Once no timer of these cases is pending, no scheduler can fire one any more.
        await wait_for(lambda: no_pending_timer(database, cases), timeout=FLOW_S,
                       what="every provisional-detention timer handled")
        recorded = await event_types(database, cases)
    finally:
        await database.dispose()
    for case_id in cases:
        kinds = recorded[case_id]
        assert kinds.count("judicial.provisional_detention_lapsed") == 1, kinds
        events = await events_reach_kafka(cluster, case_id, len(kinds))
        assert sorted(events.values()) == sorted(kinds)  # on Kafka once each, as recorded


async def no_pending_timer(database: Database, cases: list[str]) -> bool:
    async with database.connect() as conn:
        pending = await conn.scalar(sa.text(
            "SELECT count(*) FROM judicial_timers WHERE case_id = ANY(:cases) "
            "AND fired_at IS NULL AND cancelled_at IS NULL"), {"cases": cases})
        fired = await conn.scalar(sa.text(
            "SELECT count(*) FROM judicial_timers WHERE case_id = ANY(:cases) "
            "AND fired_at IS NOT NULL"), {"cases": cases})
    return bool(pending == 0 and fired == len(cases))


async def event_types(database: Database, cases: list[str]) -> dict[str, list[str]]:
    """Each case's judicial events as recorded in the store, in order."""
    async with database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT stream_id, event_type FROM events WHERE stream_id = ANY(:cases) "
            "ORDER BY stream_id, version"), {"cases": cases})
        recorded: dict[str, list[str]] = {case_id: [] for case_id in cases}
        for row in rows:
            recorded[row.stream_id].append(row.event_type)
    return recorded
