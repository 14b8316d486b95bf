"""`make cluster-down`: stop what a killed `make cluster` left running (shared/infra/cluster.py
writes a pid file under <root>/run for each broker, replica and HAProxy it starts).

Only this cluster's processes are signalled: a pid file may outlive its process (a reboot, an
OOM kill) and its pid be another's now, perhaps the dev broker's."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared import process
from shared.settings import REPO_ROOT

# `make cluster-down`: a broker's controlled shutdown takes seconds, a slow box's up to a minute;
# past this it is SIGKILLed, and given this long more to be gone.
DOWN_GRACE_S = 60.0
KILLED_GONE_S = 10.0
# Marks a replica's environment with its cluster's root, so `cluster-down` can tell it apart
# from another cluster's replica (or anything else) that a stale pid file now names.
ROOT_MARK = "RUNWAY_CLUSTER_ROOT"


@dataclass
class Down:
    """What `cluster-down` stopped, and what it could not."""

    stopped: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)


def down(root: Path | None = None, grace: float = DOWN_GRACE_S) -> Down:
    """Stop what a cluster run left behind (it was killed before it could stop them): each
    pid in <root>/run whose process is still this cluster's. SIGTERM, up to `grace` seconds
    to exit, then SIGKILL; a pid file goes only once its process is gone, so a process that
    outlived all that is reported, and the next cluster-down still finds it."""
    root = root or REPO_ROOT / "var" / "cluster"
    signalled: dict[Path, int] = {}
    for pid_file in sorted((root / "run").glob("*.pid")):
        pid = _read_pid(pid_file)
        if pid is not None and _ours(pid, pid_file.stem, root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            signalled[pid_file] = pid
        else:  # gone, or the pid is another process's now: nothing of ours to stop
            pid_file.unlink()
    stubborn = _still_running(signalled.values(), within=grace)
    for pid in stubborn:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    left = _still_running(stubborn, within=KILLED_GONE_S)
    return _report(signalled, stubborn, left, grace)


def _report(signalled: Mapping[Path, int], stubborn: set[int], left: set[int],
            grace: float) -> Down:
    result = Down()
    for pid_file, pid in signalled.items():
        if pid in left:
            result.running.append(f"{pid_file.stem} (pid {pid}, survived SIGKILL)")
            continue
        how = f", SIGKILLed after {grace:g} s" if pid in stubborn else ""
        result.stopped.append(f"{pid_file.stem} (pid {pid}{how})")
        pid_file.unlink()
    return result


def _read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except ValueError:  # empty or garbled: a run killed while writing it
        return None
    return pid if pid > 0 else None


def _still_running(pids: Iterable[int], within: float) -> set[int]:
    """The pids still running after waiting up to `within` seconds for them to exit."""
    waiting = set(pids)
    deadline = time.monotonic() + within
    while True:
        waiting = {pid for pid in waiting if process.alive(pid)}
        if not waiting or time.monotonic() >= deadline:
            return waiting
        time.sleep(0.1)  # they are not our children: no wait() to block on


def _ours(pid: int, name: str, root: Path) -> bool:
    """Not a recycled pid: the process is this cluster's `name`, told by what only this
    cluster's would name. A broker's and HAProxy's command lines name their configuration
    under `root`; a replica's environment names `root` (ROOT_MARK)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [w.decode(errors="replace") for w in command]
    if name.startswith("broker-"):
        return "kafka.Kafka" in words and str(root / name / "server.properties") in words
    if name == "haproxy":
        return str(root / "haproxy.cfg") in words
    return any(w.startswith("services.") for w in words) and _environ_names(pid, root)


def _environ_names(pid: int, root: Path) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # another user's process: not one we started
        return False
    return f"{ROOT_MARK}={root}".encode() in environ


def say_down(result: Down) -> int:
    """Print what cluster-down did; 1 when something is still running."""
    print("Stopped: " + (", ".join(result.stopped) or "nothing was running"))
    if result.running:
        print("Still running: " + ", ".join(result.running))
        return 1
    return 0
