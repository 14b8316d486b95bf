"""`runway-stack up --start-broker` (what `make run` runs) on the embedded SQLite default: the
`runway` commands find it with no flags, and Ctrl-C stops everything it started, the broker
included, and says so. It runs beside any other stack: its own broker instance, ports, files."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from shared.settings import REPO_ROOT
from shared.topology import SERVICES
from tests.support.ports import free_offset, free_port

BIN = Path(sys.executable).parent
# Broker start (a JVM) plus five services migrating their SQLite stores, on a loaded machine.
START_DEADLINE_S = 240
POLL_S = 0.2


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def stack_env(tmp_path: Path, kafka_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "RUNWAY_TOPIC_NAMESPACE")}
    return {**env, "RUNWAY_VAR": str(tmp_path / "var"), "KAFKA_INSTANCE": "kafka-stack-test",
            "KAFKA_PORT": str(kafka_port), "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_HEAP_OPTS": "-Xms256m -Xmx512m", "RUNWAY_DATA_DIR": str(tmp_path / "data"),
            "RUNWAY_STACK_FILE": str(tmp_path / "stack.json"),
            "RUNWAY_PORT_OFFSET": str(free_offset(range(8001, 8006)))}


async def run(*command: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def wait_until_described(stack: asyncio.subprocess.Process, path: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while not path.exists():
        assert stack.returncode is None, "runway-stack exited before it was ready"
        assert time.monotonic() < deadline, "no stack description in time"
        await asyncio.sleep(POLL_S)


async def test_make_run_is_found_without_flags_and_ctrl_c_stops_the_broker_it_started(
        tmp_path: Path) -> None:
    kafka_port = free_port()
    env = stack_env(tmp_path, kafka_port)
    stack = await asyncio.create_subprocess_exec(
        str(BIN / "runway-stack"), "up", "--start-broker", env=env, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await wait_until_described(stack, tmp_path / "stack.json")
        code, verified, err = await run(str(BIN / "runway"), "audit", "verify", env=env)
        assert code == 0, err
        assert verified.endswith("messages on Kafka; OK\n")

        os.killpg(stack.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's process group
        out, _ = await asyncio.wait_for(stack.communicate(), timeout=120)
    finally:
        if stack.returncode is None:
            os.killpg(stack.pid, signal.SIGKILL)
        await run("deploy/kafka/kafka.sh", "stop", env=env)  # whatever the outcome

    printed = out.decode()
    stopped = [line for line in printed.splitlines() if line.startswith("Stopped: ")]
    assert len(stopped) == 1, printed
    for name in SERVICES:
        assert f"{name} (pid " in stopped[0]
    assert stopped[0].endswith(f"the Kafka broker at 127.0.0.1:{kafka_port}")
    assert not answers(kafka_port)
    described = json.loads((tmp_path / "stack.json").read_text())
    assert described["stopped_at"] and described["broker_started"] is True
