"""The `runway` commands find a running stack from var/stack.json; flags still override."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shared import stackfile
from shared.cli.failures import CommandFailed
from shared.cli.main import parser
from shared.cli.where import resolve


def described(tmp_path: Path, backend: str = "sqlite") -> stackfile.StackDescription:
    def store(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        return f"postgresql+asyncpg://runway:runway@db.example:5432/runway_{name}"

    services = {name: stackfile.StackService(url=f"http://127.0.0.1:{port}", store=store(name),
                                             log=f"var/log/{name}.log")
                for name, port in (("intake", 18001), ("judicial", 18002))}
    return stackfile.StackDescription(
        services=services, kafka_bootstrap="127.0.0.1:19092", topic_namespace="demo",
        backend=backend, auth_dir=str(tmp_path / "auth"), pid=os.getpid(),
        started_at="2025-08-12T18:00:00+00:00")


@pytest.fixture
def stack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "stack.json"
    monkeypatch.setenv(stackfile.STACK_FILE_ENV, str(path))
    for variable in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_PORT",
                     "RUNWAY_TOPIC_NAMESPACE", "RUNWAY_INTAKE_URL"):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_with_no_flags_every_command_uses_the_running_stack(
        tmp_path: Path, stack_file: Path, backend: str) -> None:
    stackfile.write(described(tmp_path, backend))

    audit = resolve(parser().parse_args(["audit", "verify"]))
    listing = resolve(parser().parse_args(["list"]))

    assert audit.stores == {name: s.store for name, s in described(tmp_path, backend)
                            .services.items()}
    assert (audit.bootstrap, audit.namespace) == ("127.0.0.1:19092", "demo")
    assert listing.intake_url == "http://127.0.0.1:18001"
    assert stack_file.stat().st_mode & 0o077 == 0  # a PostgreSQL URL carries its password


def test_flags_override_the_running_stack(tmp_path: Path, stack_file: Path) -> None:
    stackfile.write(described(tmp_path))

    where = resolve(parser().parse_args([
        "--intake-url", "http://intake.example", "audit", "--bootstrap", "kafka.example:9092",
        "--namespace", "", "--store", "intake=sqlite+aiosqlite:///other.db", "verify"]))

    assert where.intake_url == "http://intake.example"
    assert where.stores == {"intake": "sqlite+aiosqlite:///other.db"}
    assert (where.bootstrap, where.namespace) == ("kafka.example:9092", "")


def test_without_a_stack_the_defaults_are_a_local_postgresql_run(stack_file: Path) -> None:
    where = resolve(parser().parse_args(["audit", "--services", "intake", "verify"]))

    assert where.stores == {
        "intake": "postgresql+asyncpg://runway:runway@127.0.0.1:5433/runway_intake"}
    assert where.bootstrap == "127.0.0.1:9092"


def test_a_stopped_stack_says_so_and_how_to_start_it(tmp_path: Path, stack_file: Path) -> None:
    stackfile.write(described(tmp_path).marked_stopped(["intake (pid 1)"]))

    where = resolve(parser().parse_args(["list"]))

    assert where.stack is not None and not where.stack.running
    assert "stopped at" in where.stack_hint() and "make run" in where.stack_hint()


def test_a_damaged_description_names_the_field_and_how_to_recover(
        tmp_path: Path, stack_file: Path) -> None:
    stackfile.write(described(tmp_path))
    damaged = stack_file.read_text().replace(f'"pid": {os.getpid()}', '"pid": "not a number"')
    stack_file.write_text(damaged)

    with pytest.raises(CommandFailed) as refused:
        resolve(parser().parse_args(["list"]))

    assert "pid" in str(refused.value) and "make run" in str(refused.value)


def test_a_file_that_is_not_a_description_says_how_to_recover(stack_file: Path) -> None:
    stack_file.write_bytes(b"\xff\xfe not json")

    with pytest.raises(CommandFailed) as refused:
        resolve(parser().parse_args(["list"]))

    assert str(stack_file) in str(refused.value) and "make run" in str(refused.value)


def test_a_description_round_trips_through_its_file(tmp_path: Path, stack_file: Path) -> None:
    description = described(tmp_path, "postgresql").marked_stopped(["intake (pid 1)"])

    stackfile.write(description)

    assert stackfile.read() == description


def test_commands_read_legal_dates_in_the_zone_of_the_running_stack(
        tmp_path: Path, stack_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.cli.main import run
    from shared.legaltime import legal_zone_name

    monkeypatch.setattr(os, "environ", dict(os.environ))  # run() sets the stack's variables
    stackfile.write(described(tmp_path).model_copy(update={"legal_timezone": "America/Tijuana"}))
    args = parser().parse_args(["list"])
    seen: list[str] = []

    def command(_: object) -> int:
        seen.append(legal_zone_name())
        return 0

    args.run = command
    assert run(args) == 0
    assert seen == ["America/Tijuana"]


def test_a_description_written_before_the_zone_was_recorded_reads_as_the_default(
        tmp_path: Path, stack_file: Path) -> None:
    old = described(tmp_path).model_dump(mode="json")
    del old["legal_timezone"]
    stack_file.write_text(json.dumps(old))

    assert stackfile.read() == described(tmp_path)
    assert described(tmp_path).legal_timezone == "America/Mexico_City"
