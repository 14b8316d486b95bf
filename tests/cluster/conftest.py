"""One cluster for every test of this package: three Kafka brokers, two replicas each of intake
and judicial as real processes sharing their service's PostgreSQL database, HAProxy in front.
Starting three JVMs and four services takes a minute or more on a 2-core box, so the modules
share it; each test leaves it whole (a killed broker or replica is started again before the
test ends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.infra.cluster import Cluster, Layout
from tests.support.infra import create_database, drop_database, fresh_namespace
from tests.support.ports import free_port

SERVICES = ("intake", "judicial")


@pytest.fixture(scope="package")
async def cluster(pg_server: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Cluster]:
    databases = {name: await create_database(pg_server) for name in (*SERVICES, "keys")}
    layout = Layout.build(Path(tmp_path_factory.mktemp("cluster")), services=SERVICES,
                          replicas=2, brokers=3, namespace=fresh_namespace("cluster"),
                          port=lambda _wanted: free_port())
    # The scheduler's round is short so a timer test need not wait a second per round.
    running = Cluster(layout, databases.__getitem__,
                      env={"RUNWAY_KEYSTORE_URL": databases["keys"],
                           "SCHEDULER_INTERVAL_S": "0.2"})
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
        for url in databases.values():
            await drop_database(pg_server, url)
