"""Each `runway` command with what it needs not there (a closed port, a missing store): one
line naming the cause and the fix, a documented exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.cli.failures import EXIT_UNREACHABLE, EXIT_USAGE
from shared.db import Database
from shared.migrate import migrate

RUNWAY = str(Path(sys.executable).parent / "runway")
CASE = "RWY-1A2B3C4D5E"


@pytest.fixture(scope="module")
def closed_port() -> int:
    """A port nothing listens on (bound once by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def runway(*args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNWAY_DEBUG")}
    done = subprocess.run([RUNWAY, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout == "", done.stdout
    return done.returncode, done.stderr


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("command", [["submit", "request.yaml"], ["show", CASE], ["list"]])
def test_operator_commands_name_the_missing_intake_service(
        command: list[str], closed_port: int, tmp_path: Path) -> None:
    (tmp_path / "request.yaml").write_text("case_id: x\n")
    code, err = runway("--intake-url", f"http://127.0.0.1:{closed_port}",
                       *[str(tmp_path / c) if c.endswith(".yaml") else c for c in command])

    line = one_line(err)
    assert code == EXIT_UNREACHABLE
    assert f"no Runway service answers at http://127.0.0.1:{closed_port}" in line
    assert "make run" in line and "--intake-url" in line


# Replay from its default source, Kafka, names a missing broker first: from the stores, it
# needs PostgreSQL only, so the test holds with or without a broker on this machine.
@pytest.mark.parametrize("command", [
    ["verify"], ["replay", "--source", "stores"], ["export", CASE], ["as-of", CASE],
    ["explain", CASE], ["actors", CASE]])
def test_audit_commands_name_the_missing_postgresql(command: list[str], closed_port: int) -> None:
    server = f"postgresql+asyncpg://runway:runway@127.0.0.1:{closed_port}/runway"
    code, err = runway("audit", "--database-url", server, *command)

    assert one_line(err) == (f"runway: no PostgreSQL at 127.0.0.1:{closed_port}: run make "
                             f"postgres-up, or pass --store SERVICE=URL")
    assert code == EXIT_UNREACHABLE


@pytest.fixture
def migrated_store(tmp_path: Path) -> Iterator[str]:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"

    async def create() -> None:
        database = Database(url)
        await migrate(database)
        await database.dispose()

    asyncio.run(create())
    yield url


def test_audit_verify_names_the_missing_kafka(migrated_store: str, closed_port: int) -> None:
    code, err = runway("audit", "--bootstrap", f"127.0.0.1:{closed_port}",
                       "--store", f"intake={migrated_store}", "verify")

    assert one_line(err) == (f"runway: no Kafka at 127.0.0.1:{closed_port}: run make kafka-up "
                             f"(or make run), or pass --bootstrap")
    assert code == EXIT_UNREACHABLE


def test_an_audit_of_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "intake.db"
    code, err = runway("audit", "--store", f"intake=sqlite+aiosqlite:///{missing}", "verify")

    assert one_line(err) == (f"runway: no event store at {missing}: start the stack with make "
                             f"run, or pass --store SERVICE=URL")
    assert code == EXIT_UNREACHABLE
    assert not missing.exists()


def test_audit_serve_names_the_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "intake.db"
    code, err = runway("audit", "--store", f"intake=sqlite+aiosqlite:///{missing}", "serve")

    assert "no event store at" in one_line(err)
    assert code == EXIT_UNREACHABLE


def test_token_names_an_unusable_key_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    env_dir = str(not_a_folder / "auth")
    os.environ["RUNWAY_AUTH_DIR"], saved = env_dir, os.environ["RUNWAY_AUTH_DIR"]
    try:
        code, err = runway("token", "--role", "operator")
    finally:
        os.environ["RUNWAY_AUTH_DIR"] = saved

    assert one_line(err).startswith(f"runway: {not_a_folder}")
    assert code == EXIT_USAGE


def test_submit_names_a_file_that_is_not_there(tmp_path: Path) -> None:
    code, err = runway("submit", str(tmp_path / "missing.yaml"))

    assert one_line(err) == f"runway: {tmp_path / 'missing.yaml'}: No such file or directory"
    assert code == EXIT_USAGE


@pytest.mark.parametrize("store", ["intake", "intake="])
def test_a_store_without_its_url_is_a_wrong_command_line(store: str) -> None:
    code, err = runway("audit", "--store", store, "as-of", CASE)

    assert one_line(err).startswith(f"runway: --store {store}: give SERVICE=URL")
    assert code == EXIT_USAGE
