"""A chaos run that ends early (the workload fails, or Ctrl-C) stops its faults before the
cluster is stopped, and a run whose setup fails stops the PostgreSQL server it started. No
broker, replica or PostgreSQL here: fakes stand in for the cluster and the server."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared.chaos import run as chaos_run
from shared.chaos.schedule import Fault
from shared.chaos.workload import Played

# Sized for a machine three times slower than a developer's; nothing here takes a second.
WAIT_S = 30.0


class _Layout:
    namespace = "chaos1"
    replica_ports: dict[str, tuple[int, ...]] = {}


class _Cluster:
    """Records the faults' kills; a kill hangs until cancelled, as a restart in hand does."""

    def __init__(self) -> None:
        self.layout = _Layout()
        self.killing = asyncio.Event()
        self.cancelled: list[str] = []

    async def kill_replica(self, service: str, index: int) -> None:
        self.killing.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(f"{service}-{index + 1}")
            raise

    async def restart_replica(self, service: str, index: int) -> None:
        raise AssertionError("no restart: the kill never ends")


def _injector_tasks() -> list[asyncio.Task[Any]]:
    """The Injector's tasks still pending: the schedule and the faults it fired."""
    return [task for task in asyncio.all_tasks() if not task.done()
            and task.get_coro().__qualname__.startswith("Injector.")]  # type: ignore[union-attr]


@pytest.mark.parametrize("ending", ["the workload fails", "Ctrl-C"])
async def test_no_fault_outlives_a_run_that_ended_early(monkeypatch: pytest.MonkeyPatch,
                                                        ending: str) -> None:
    cluster = _Cluster()

    async def play(*_args: Any, **_kwargs: Any) -> list[Played]:
        if ending == "Ctrl-C":
            await asyncio.Event().wait()  # cancelled below, as asyncio.run does on SIGINT
        # (no wait_for here: on 3.11 it can swallow a cancellation that comes as it ends)
        await cluster.killing.wait()  # a fault is in hand
        raise RuntimeError("the workload failed")

    monkeypatch.setattr(chaos_run, "play", play)
    # One fault in hand when the run ends, one still to come an hour later.
    faults = [Fault(0.0, "replica", "intake", 0), Fault(3600.0, "replica", "judicial", 1)]
    exercising = asyncio.create_task(
        chaos_run.exercise(cluster, None, None, 1, 3, faults))  # type: ignore[arg-type]
    if ending == "Ctrl-C":
        await asyncio.wait_for(cluster.killing.wait(), WAIT_S)
        exercising.cancel()
    with pytest.raises((RuntimeError, asyncio.CancelledError)):
        await exercising
    left = _injector_tasks()
    for task in left:  # not to leak them into the next test
        task.cancel()
    assert not left, f"faults still running after the run ended: {left}"
    assert cluster.cancelled == ["intake-1"], "the fault in hand was not stopped"


async def test_a_failed_setup_stops_the_chaos_postgres(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []

    class FakePostgres:
        def __init__(self, root: Path, port: int) -> None:
            self.root, self.port, self.running = root, port, False
            made.append(self)

        async def init(self) -> None: ...

        async def start(self) -> None:
            self.running = True

        async def create(self, names: list[str]) -> None:
            raise RuntimeError('database "chaos_intake" already exists')

        async def stop(self) -> None:
            self.running = False

        def url(self, database: str) -> str:
            return f"postgresql+asyncpg://runway@127.0.0.1:{self.port}/{database}"

    monkeypatch.setattr(chaos_run, "OwnPostgres", FakePostgres)
    try:
        with pytest.raises(RuntimeError, match="already exists"):
            await chaos_run.run(1, 0, 1, 2.0, tmp_path, lambda wanted: wanted)
        [postgres] = made
        assert not postgres.running, "the chaos run's own PostgreSQL server was left running"
        assert not postgres.root.exists(), f"{postgres.root} was left behind"
    finally:
        for postgres in made:
            shutil.rmtree(postgres.root, ignore_errors=True)
