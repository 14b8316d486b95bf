"""A service as a real process: it migrates its own database, serves, and stops on SIGTERM."""

from __future__ import annotations

import socket

import httpx
import sqlalchemy as sa

from shared.db import Database
from tests.support import processes
from tests.support.kafka_read import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_service_process_migrates_serves_and_stops_gracefully(
    pg_server: str, kafka: str
) -> None:
    from tests.support.infra import create_database, drop_database

    url = await create_database(pg_server)  # empty: the service must migrate it itself
    port = free_port()
    service = await processes.start(
        "-m", "services.intake",
        env={"SERVICE_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": kafka,
             "HTTP_PORT": str(port)})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async def ready() -> bool:
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(ready, timeout=60, what="intake /readyz")

            # Readiness does not wait for the relay's leadership (in a cluster only one
            # replica leads), so the sole replica takes the lock a moment after it is ready.
            async def leads_the_relay() -> bool:
                return "runway_relay_leader 1.0" in (await http.get("/metrics")).text

            await wait_for(leads_the_relay, timeout=60, what="intake leads its outbox relay")
        await processes.terminate(service)
        assert service.returncode == 0
        database = Database(url)
        async with database.connect() as conn:
            tables = set(await conn.run_sync(
                lambda sync: sa.inspect(sync).get_table_names()))
        await database.dispose()
        assert {"events", "outbox", "inbox", "alembic_version"} <= tables
    finally:
        await processes.kill(service)
        await drop_database(pg_server, url)
