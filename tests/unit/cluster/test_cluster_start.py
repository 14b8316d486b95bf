"""Starting a cluster: one left running on the same ports is refused (not adopted), and a
replica that did start is stopped even when a later one failed to start. No broker or
service runs here: a listening socket and `sleep` processes stand in."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared import process
from shared.infra.cluster import Cluster, Layout
from shared.process import ServiceProcess
from tests.support.ports import free_port


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something listens on, as a broker a killed run left does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _layout(root: Path, taken: int, on: str) -> Layout:
    """A small layout on free ports but for the one `make cluster` puts `on` (19092 for
    broker-1, 18101 for intake-1), which gets `taken`."""
    wanted = {"broker-1": 19_092, "intake-1": 18_101}[on]
    return Layout.build(root, services=("intake",), replicas=1, brokers=1,
                        port=lambda port: taken if port == wanted else free_port())


async def test_brokers_are_not_started_on_a_port_already_in_use(tmp_path: Path,
                                                                 taken_port: int) -> None:
    cluster = Cluster(_layout(tmp_path, taken_port, on="broker-1"), lambda service: "")
    try:
        with pytest.raises(RuntimeError, match=rf"port {taken_port} \(broker-1\).*make "
                                               "cluster-down"):
            await cluster.start_brokers()
    finally:
        await cluster.stop()  # whatever did start, however this test failed
    assert cluster.brokers == {}, "a broker was started on a port already in use"


async def test_a_cluster_is_not_started_when_a_replica_port_is_in_use(
        tmp_path: Path, taken_port: int) -> None:
    cluster = Cluster(_layout(tmp_path, taken_port, on="intake-1"), lambda service: "")
    try:
        with pytest.raises(RuntimeError, match=rf"port {taken_port} \(intake-1\)"):
            await cluster.start()
    finally:
        await cluster.stop()  # whatever did start, however this test failed
    assert cluster.brokers == {}, "brokers were started for a cluster that cannot run"


async def test_stop_stops_the_replicas_of_a_round_that_failed_to_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spawned: list[asyncio.subprocess.Process] = []

    async def start_service(name: str, *, port: int, database_url: str, log: Path,
                            env: Any = None) -> ServiceProcess:
        if len(spawned) == 2:
            raise OSError("[Errno 24] Too many open files")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE)
        spawned.append(child)
        return ServiceProcess(name, f"http://127.0.0.1:{port}", database_url, child, log)

    monkeypatch.setattr(process, "start_service", start_service)
    layout = Layout.build(tmp_path, services=("intake", "judicial", "assurance"), replicas=1,
                          brokers=1, port=lambda _wanted: free_port())
    cluster = Cluster(layout, database_url=lambda service: "postgresql+asyncpg://x/y")
    try:
        with pytest.raises(OSError, match="Too many open files"):
            await cluster.start_replicas()
        stopped = await cluster.stop()
        left = [child.pid for child in spawned if child.returncode is None]
        assert not left, f"Cluster.stop() left these replicas running: {left}"
        assert len(stopped) == 2
    finally:
        for child in spawned:
            if child.returncode is None:
                child.kill()
                await child.wait()
