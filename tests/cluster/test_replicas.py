"""Replicas that die (issue 16, deliverable 2): the outbox relay fails over to another replica,
and consumer replicas that share a group's partitions apply each event once across a
rebalance. Two replicas each of intake and judicial, three brokers, HAProxy: one cluster for
the module, left whole by each test (a killed replica is started again before it ends)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from shared.db import Database
from shared.infra.cluster import Cluster
from shared.legaltime import legal_date
from shared.messaging.cloudevents import from_kafka
from shared.messaging.topics import namespaced
from tests.support.auth import auth_headers
from tests.support.cluster import running_cluster
from tests.support.infra import kafka_admin
from tests.support.kafka_read import read_topic, wait_for
from tests.support.requests import request

# Three JVMs and four services on a 2-core box: starting them takes minutes, not seconds.
pytestmark = pytest.mark.timeout(900)

OPERATOR = auth_headers("operator", "op-replicas")
CLERK = auth_headers("judicial_clerk", "clerk-replicas")
JUDICIAL_GROUP = "judicial.intake-events"
# Deadlines sized for a machine three times slower than a developer's; none is asserted.
FLOW_S = 180.0
HEALTH_S = 90.0


@pytest.fixture(scope="module")
async def cluster(pg_server: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Cluster]:
    root = Path(tmp_path_factory.mktemp("replicas"))
    async with running_cluster(pg_server, root, "replicas") as running:
        yield running


@pytest.fixture
async def judicial_db(cluster: Cluster) -> AsyncIterator[Database]:
    database = Database(cluster.database_url("judicial"), pool_size=2)
    yield database
    await database.dispose()


def five_days_ago() -> str:
    return (legal_date(datetime.now(UTC)) - timedelta(days=5)).isoformat()


def replica_url(cluster: Cluster, service: str, index: int) -> str:
    return f"http://127.0.0.1:{cluster.layout.replica_ports[service][index]}"


async def submit(cluster: Cluster, given: str) -> str:
    """A case entered through intake's load balancer; its id."""
    async with httpx.AsyncClient(base_url=cluster.layout.url("intake"), timeout=60) as http:
        response = await http.post("/cases", json=request(given=given, family="Réplica"),
                                   headers=OPERATOR)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def opened(database: Database, cases: list[str]) -> int:
    """How many of `cases` judicial has opened (its read model has a row)."""
    async with database.connect() as conn:
        found = await conn.scalar(sa.text(
            "SELECT count(*) FROM judicial_cases WHERE case_id = ANY(:cases)"),
            {"cases": cases})
    return int(found or 0)


async def relay_leaders(cluster: Cluster, service: str) -> list[int]:
    """The replicas whose relay says, on /metrics, that it holds the outbox lock."""
    leaders = []
    for index in range(cluster.layout.replicas):
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(timeout=10) as http:
                metrics = await http.get(f"{replica_url(cluster, service, index)}/metrics")
            if "runway_relay_leader 1.0" in metrics.text.splitlines():
                leaders.append(index)
    return leaders


async def judicial_events_on_kafka(cluster: Cluster, case_id: str) -> dict[str, str]:
    """The case's judicial events on Kafka, by event id (a re-sent duplicate counts once)."""
    topic = f"{cluster.layout.namespace}.runway.judicial.events"
    return {str(event.event_id): event.event_type
            for event in (from_kafka(list(record.headers), record.value)
                          for record in await read_topic(cluster.layout.bootstrap, topic))
            if event.subject == case_id}


async def group_partitions(cluster: Cluster) -> list[int]:
    """How many partitions each member of judicial's consumer group holds (Kafka's view)."""
    group = namespaced(cluster.layout.namespace, JUDICIAL_GROUP)
    async with kafka_admin(cluster.layout.bootstrap) as admin:
        (described,) = await admin.describe_consumer_groups([group])
    counts = []
    for _error, _group, state, _protocol_type, _protocol, members in described.groups:
        if state != "Stable":
            return []  # a rebalance under way: ask again
        for member in members:
            assignment = ConsumerProtocolMemberAssignment.decode(member[-1])
            counts.append(sum(len(partitions) for _topic, partitions in
                              assignment.assignment))
    return counts


async def test_a_killed_relay_leader_is_replaced_and_events_still_reach_kafka(
    cluster: Cluster, judicial_db: Database,
) -> None:
    """The judicial replica whose relay holds the outbox lock is SIGKILLed. Its PostgreSQL
    session ends with it and so does the lock; the other replica's relay takes the lock and
    publishes what is written afterwards (docs/operations.md states the bound: about
    RELAY_POLL_INTERVAL_S plus a producer start)."""
    case_id = await submit(cluster, "Relevo")
    await wait_for(lambda: _opened_at_least(judicial_db, [case_id], 1), timeout=FLOW_S,
                   what="judicial to open the case")
    leaders: list[int] = []

    async def one_leader() -> bool:
        leaders[:] = await relay_leaders(cluster, "judicial")
        return len(leaders) == 1

    await wait_for(one_leader, timeout=HEALTH_S, what="one judicial relay holding the lock")
    (victim,) = leaders
    survivor = 1 - victim
    await cluster.kill_replica("judicial", victim)
    try:
        async with httpx.AsyncClient(base_url=replica_url(cluster, "judicial", survivor),
                                     timeout=60) as http:
            answer = await http.post(f"/cases/{case_id}/formal-request",
                                     json={"received_on": five_days_ago()}, headers=CLERK)
        assert answer.status_code == 200, answer.text
        appended = {e["event_type"] for e in answer.json()["events"]}

        async def published() -> bool:
            on_kafka = set((await judicial_events_on_kafka(cluster, case_id)).values())
            return appended <= on_kafka

        await wait_for(published, timeout=FLOW_S,
                       what="the event written after the leader's death on Kafka")
        assert await relay_leaders(cluster, "judicial") == [survivor]
    finally:
        await cluster.restart_replica("judicial", victim)
        await cluster.wait_balanced(within=HEALTH_S)


async def test_consumer_replicas_share_partitions_and_a_rebalance_applies_nothing_twice(
    cluster: Cluster, judicial_db: Database,
) -> None:
    """Both judicial replicas hold partitions of the group reading intake's events. While
    cases flow, one replica is SIGKILLed; the group rebalances, the other takes its
    partitions and re-reads what the dead one had not committed. Every case is opened in
    judicial once: its stream holds each event once, as a case handled without faults does."""
    shares: list[int] = []

    async def both_hold_partitions() -> bool:
        shares[:] = await group_partitions(cluster)
        return len(shares) == 2 and min(shares) > 0

    await wait_for(both_hold_partitions, timeout=HEALTH_S,
                   what="both judicial replicas to hold partitions")
    before = list(shares)
    cases: list[str] = []
    flowing = asyncio.create_task(_submit_many(cluster, cases, count=30))
    try:
        await wait_for(lambda: _opened_at_least(judicial_db, cases, 3), timeout=FLOW_S,
                       what="the first cases to reach judicial")
        await cluster.kill_replica("judicial", 0)
        await asyncio.wait_for(flowing, timeout=FLOW_S)
        await wait_for(lambda: _opened_at_least(judicial_db, cases, len(cases)),
                       timeout=FLOW_S, what="every case opened in judicial")
        await wait_for(lambda: _one_member_holds_all(cluster, sum(before)), timeout=HEALTH_S,
                       what="the surviving replica to hold every partition")
    finally:
        flowing.cancel()
        await asyncio.gather(flowing, return_exceptions=True)
        await cluster.restart_replica("judicial", 0)
        await cluster.wait_balanced(within=HEALTH_S)

    streams = await _event_types(judicial_db, cases)
    assert len(streams) == len(cases) == 30
    reference = Counter(streams[cases[0]])
    assert reference["judicial.case_opened"] == 1, streams[cases[0]]
    applied_twice = {case_id: kinds for case_id, kinds in streams.items()
                     if Counter(kinds) != reference}
    assert not applied_twice, (reference, applied_twice)


async def _submit_many(cluster: Cluster, cases: list[str], *, count: int) -> None:
    """Submit `count` cases, three at a time, noting each id as it is created."""
    async def one(n: int) -> None:
        cases.append(await submit(cluster, f"Flujo {n}"))

    for start in range(0, count, 3):
        await asyncio.gather(*(one(n) for n in range(start, min(start + 3, count))))


async def _opened_at_least(database: Database, cases: list[str], count: int) -> bool:
    return len(cases) >= count and await opened(database, list(cases)) >= count


async def _one_member_holds_all(cluster: Cluster, partitions: int) -> bool:
    return await group_partitions(cluster) == [partitions]


async def _event_types(database: Database, cases: list[str]) -> dict[str, list[str]]:
    async with database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT stream_id, event_type FROM events WHERE stream_id = ANY(:cases) "
            "ORDER BY stream_id, version"), {"cases": cases})
        streams: dict[str, list[str]] = {}
        for row in rows:
            streams.setdefault(row.stream_id, []).append(row.event_type)
    return streams
