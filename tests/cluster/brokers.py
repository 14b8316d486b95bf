"""Kafka brokers of a cluster of their own, on free ports and under a temporary root: what
the tests that kill, restart or shrink brokers run against (no services, no PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from shared.infra.cluster import Cluster, Layout
from tests.support.infra import fresh_namespace
from tests.support.ports import free_port


@asynccontextmanager
async def brokers_only(root: Path, name: str, count: int = 3, *,
                       topics: bool = False) -> AsyncIterator[Cluster]:
    """`count` brokers started and registered (with Runway's topics when `topics`), stopped
    on the way out whatever happened."""
    layout = Layout.build(root, services=(), brokers=count, namespace=fresh_namespace(name),
                          port=lambda _wanted: free_port())
    cluster = Cluster(layout, database_url=lambda service: "")
    try:
        await cluster.start_brokers()
        if topics:
            await cluster.create_topics()
        yield cluster
    finally:
        await cluster.stop()
