"""`make cluster-down` stops what a killed `make cluster` left, and only that: it waits for each
process to exit (SIGKILL past the grace), says what it did, and leaves alone a process a stale
pid file names that is not this cluster's (the shared dev broker, say). Stand-ins play the
leftover processes: small Python processes whose command lines and environment look the
part."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from shared import process
from shared.infra.cluster_down import ROOT_MARK, down

# The stand-in says "ready" once its SIGTERM handling is in place.
_STUBBORN = ("import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
             "print('ready', flush=True); sys.stdin.read()")
_PLAIN = "import sys; print('ready', flush=True); sys.stdin.read()"


@pytest.fixture
def stand_ins() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def _start(started: list[subprocess.Popen[str]], code: str, *args: str,
           env: Mapping[str, str] | None = None) -> int:
    """A process running `code` whose command line ends in `args`; its pid once it runs."""
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, **(env or {})})
    started.append(child)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child.pid


def _pid_file(root: Path, name: str, pid: int) -> Path:
    (root / "run").mkdir(exist_ok=True)
    path = root / "run" / f"{name}.pid"
    path.write_text(f"{pid}\n")
    return path


def test_cluster_down_kills_a_broker_that_ignores_sigterm_and_says_so(
        tmp_path: Path, stand_ins: list[subprocess.Popen[str]]) -> None:
    pid = _start(stand_ins, _STUBBORN, "kafka.Kafka",
                 str(tmp_path / "broker-1" / "server.properties"))
    pid_file = _pid_file(tmp_path, "broker-1", pid)
    result = down(tmp_path, grace=0.5)
    assert not process.alive(pid), "cluster-down returned with the broker still running"
    assert result.stopped == [f"broker-1 (pid {pid}, SIGKILLed after 0.5 s)"]
    assert result.running == []
    assert not pid_file.exists()


def test_cluster_down_stops_a_replica_of_this_cluster(
        tmp_path: Path, stand_ins: list[subprocess.Popen[str]]) -> None:
    pid = _start(stand_ins, _PLAIN, "-m", "services.intake", env={ROOT_MARK: str(tmp_path)})
    _pid_file(tmp_path, "intake-1", pid)
    result = down(tmp_path, grace=30)
    assert result.stopped == [f"intake-1 (pid {pid})"]
    assert not process.alive(pid)


@pytest.mark.parametrize("name, args, env", [
    ("broker-1", ["kafka.Kafka", "/work/main/var/kafka/server.properties"], {}),
    ("haproxy", ["haproxy", "-db", "-f", "/elsewhere/haproxy.cfg"], {}),
    ("intake-1", ["-m", "services.intake"], {ROOT_MARK: "/elsewhere/cluster"}),
], ids=["the dev broker", "another haproxy", "another cluster's replica"])
def test_cluster_down_leaves_a_process_that_is_not_this_clusters(
        tmp_path: Path, stand_ins: list[subprocess.Popen[str]], name: str, args: list[str],
        env: dict[str, str]) -> None:
    pid = _start(stand_ins, _PLAIN, *args, env=env)
    pid_file = _pid_file(tmp_path, name, pid)
    result = down(tmp_path, grace=30)
    assert process.alive(pid), f"cluster-down signalled {name}, which is not {tmp_path}'s"
    assert result.stopped == [] and result.running == []
    assert not pid_file.exists(), "a pid file naming no process of ours is stale"
