"""A test cluster of its own: three Kafka brokers, two replicas each of intake and judicial
sharing their service's fresh PostgreSQL database, HAProxy in front; stopped and its
databases dropped when the `async with` ends. Each cluster test module starts one (sharing
one across modules let a broker kill in one module stall a consumer in the next)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from shared.infra.cluster import Cluster, Layout
from tests.support.infra import create_database, drop_database, fresh_namespace
from tests.support.ports import free_port

SERVICES = ("intake", "judicial")


@contextlib.asynccontextmanager
async def running_cluster(pg_server: str, root: Path, name: str,
                       env: Mapping[str, str] | None = None) -> AsyncIterator[Cluster]:
    databases = {service: await create_database(pg_server) for service in (*SERVICES, "keys")}
    layout = Layout.build(root, services=SERVICES, replicas=2, brokers=3,
                          namespace=fresh_namespace(name), port=lambda _wanted: free_port())
    running = Cluster(layout, databases.__getitem__,
                      env={"RUNWAY_KEYSTORE_URL": databases["keys"], **(env or {})})
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
        for url in databases.values():
            await drop_database(pg_server, url)
