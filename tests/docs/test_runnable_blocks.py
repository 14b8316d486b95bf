"""Every block marked runnable in README.md and docs/*.md, run as written against a real stack.

A marked block is a ```sh, ```bash or ```python fence right after a `<!-- runnable -->` line and
any number of `<!-- expect: REGEX -->` lines (docs/README.md, "Conventions"). Each must exit 0
and its output must match every expectation.

One stack per backend serves every block: `runway-stack up --scenario`, what `make run` runs,
with the August 2025 scenario played, on the real Kafka of the run; once on embedded SQLite
(the default) and once on PostgreSQL (`DATABASE_URL`, with databases of its own through
RUNWAY_DATABASE_PREFIX), so every documented command is proven on both stores. It runs beside a
developer's stack: its own ports (RUNWAY_PORT_OFFSET), stack description (RUNWAY_STACK_FILE),
SQLite files and topic namespace. So before a block runs, the default addresses it names
(127.0.0.1:8001-8005, 127.0.0.1:9092) and its topic names are rewritten to this stack's;
nothing else in the block changes. The blocks of one page share their shell variables, as if
typed into one terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from shared import stackfile
from shared.db import asyncpg_dsn, with_database
from shared.infra.stack import discover_services
from shared.settings import REPO_ROOT
from shared.topology import SERVICES
from tests.support.infra import fresh_namespace
from tests.support.ports import free_offset

BIN = Path(sys.executable).parent
PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

# Five services starting and migrating their SQLite stores, then the whole scenario (about a
# minute on a quiet machine), on a loaded one.
STACK_DEADLINE_S = 240
BLOCK_DEADLINE_S = 90
READY_LINE = "All services ready. Press Ctrl-C to stop."

MARKER = "<!-- runnable -->"
EXPECT = re.compile(r"<!-- expect: (.+) -->")
FENCE = re.compile(r"```(sh|bash|python)")
TOPIC = re.compile(r"(?<![\w.-])runway\.[a-z]+\.(?:events|deadletter)\b")
DEFAULT_KAFKA = "127.0.0.1:9092"


@dataclass(frozen=True)
class Block:
    page: Path
    line: int           # of the block's first line, 1-based
    language: str
    text: str
    expects: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def parse(page: Path) -> tuple[list[Block], list[str]]:
    """The page's marked blocks, and a problem per marker that isn't followed by one."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, problems = [], []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        at = index + 1
        expects = []
        while at < len(lines) and (expect := EXPECT.fullmatch(lines[at].strip())):
            expects.append(expect[1])
            at += 1
        fence = FENCE.fullmatch(lines[at].strip()) if at < len(lines) else None
        end = next((i for i in range(at + 1, len(lines)) if lines[i].strip() == "```"), None)
        where = f"{page.relative_to(REPO_ROOT)}:{index + 1}"
        if fence is None or end is None:
            problems.append(f"{where}: {MARKER} must be followed by its expect lines and a "
                            "closed ```sh, ```bash or ```python block")
            continue
        for expect_text in expects:
            try:
                re.compile(expect_text)
            except re.error as error:
                problems.append(f"{where}: expect {expect_text!r} is not a regex ({error})")
        blocks.append(Block(page, at + 2, fence[1], "\n".join(lines[at + 1:end]) + "\n",
                            tuple(expects)))
    return blocks, problems


BLOCKS = [block for page in PAGES for block in parse(page)[0]]


@dataclass(frozen=True)
class DocStack:
    urls: dict[str, str]     # service -> this stack's URL
    default_ports: dict[str, int]
    kafka: str
    namespace: str
    env: dict[str, str]
    shells: Path             # one file of exported variables per page

    def rewrite(self, text: str) -> str:
        """The block as it must read to address this stack instead of make run's."""
        for service, port in self.default_ports.items():
            text = text.replace(f"127.0.0.1:{port}", urlsplit(self.urls[service]).netloc)
        text = text.replace(DEFAULT_KAFKA, self.kafka)
        return TOPIC.sub(lambda topic: f"{self.namespace}.{topic[0]}", text)


async def _read_until_ready(process: asyncio.subprocess.Process, printed: list[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + STACK_DEADLINE_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("the stack was not ready in time:\n" + "".join(printed[-40:]))
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), timeout=left)).decode()
        except TimeoutError:
            continue  # the deadline check above fails it
        if not line:
            raise AssertionError("runway-stack exited before it was ready:\n"
                                 + "".join(printed[-40:]))
        printed.append(line)
        if line.strip() == READY_LINE:
            return


async def _stop(process: asyncio.subprocess.Process) -> str:
    """Ctrl-C, as a developer stops make run; what the stack printed on the way out."""
    if process.returncode is None:
        os.killpg(process.pid, signal.SIGINT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = await process.communicate()
    return out.decode()


SERVICE_DATABASES = (*SERVICES, "keys")


@contextlib.asynccontextmanager
async def backend_env(backend: str, server: str) -> AsyncIterator[dict[str, str]]:
    """The environment choosing the stack's store: nothing for SQLite; for PostgreSQL a
    DATABASE_URL and fresh databases `<prefix>_<service>` (and the key store's), dropped after."""
    if backend == "sqlite":
        yield {}
        return
    prefix = f"docs_{uuid.uuid4().hex[:10]}"
    names = [f"{prefix}_{name}" for name in SERVICE_DATABASES]
    admin = await asyncpg.connect(asyncpg_dsn(with_database(server, "postgres")))
    try:
        for name in names:
            await admin.execute(f"CREATE DATABASE {name}")
        yield {"DATABASE_URL": server, "RUNWAY_DATABASE_PREFIX": prefix,
               "RUNWAY_KEYSTORE_URL": with_database(server, f"{prefix}_keys")}
    finally:
        for name in names:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def doc_stack(kafka: str, pg_server: str, tmp_path_factory: pytest.TempPathFactory,
                    request: pytest.FixtureRequest) -> AsyncIterator[DocStack]:
    async with backend_env(request.param, pg_server) as store_env:
        async for stack in _doc_stack(kafka, tmp_path_factory, store_env):
            yield stack


async def _doc_stack(kafka: str, tmp_path_factory: pytest.TempPathFactory,
                     store_env: dict[str, str]) -> AsyncIterator[DocStack]:
    home = tmp_path_factory.mktemp("docs-stack")
    default_ports = {spec.name: spec.default_port for spec in discover_services()}
    namespace = fresh_namespace("docs")
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "SERVICE_DATABASE_URL", "RUNWAY_KEYSTORE_URL",
                           "RUNWAY_INTAKE_URL", "RUNWAY_TOKEN", "KAFKA_PORT")}
    # RUNWAY_AUTH_DIR and RUNWAY_PII_KEYRING are this run's already (tests/conftest.py).
    env.update(KAFKA_BOOTSTRAP_SERVERS=kafka, RUNWAY_TOPIC_NAMESPACE=namespace,
               RUNWAY_PORT_OFFSET=str(free_offset(list(default_ports.values()))),
               RUNWAY_DATA_DIR=str(home / "data"), RUNWAY_STACK_FILE=str(home / "stack.json"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **store_env)
    process = await asyncio.create_subprocess_exec(
        str(BIN / "runway-stack"), "up", "--scenario", cwd=REPO_ROOT, env=env,
        start_new_session=True, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    printed: list[str] = []
    try:
        await _read_until_ready(process, printed)
        description = stackfile.read(home / "stack.json")
        assert description is not None and description.running, "".join(printed)
        shells = home / "shells"
        shells.mkdir()
        yield DocStack({name: s.url for name, s in description.services.items()},
                       default_ports, description.kafka_bootstrap, namespace, env, shells)
    finally:
        await _stop(process)


async def run(block: Block, stack: DocStack) -> tuple[int, str, str]:
    text = stack.rewrite(block.text)
    if block.language == "python":
        command = [sys.executable, "-c", text]
    else:
        state = shlex.quote(str(stack.shells / f"{block.page.stem}.env"))
        # Variables persist from block to block of a page; `set -a` exports what a block sets.
        command = ["bash", "-c", f"set -euo pipefail\n[ ! -f {state} ] || . {state}\n"
                                 f"trap 'export -p > {state}' EXIT\nset -a\n{text}"]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO_ROOT, env=stack.env, start_new_session=True,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=BLOCK_DEADLINE_S)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = await process.communicate()
        return -1, out.decode(), err.decode() + f"\n(killed after {BLOCK_DEADLINE_S} s)"
    return process.returncode or 0, out.decode(), err.decode()


def test_every_marker_is_followed_by_a_block() -> None:
    problems = [problem for page in PAGES for problem in parse(page)[1]]
    assert not problems, "\n".join(problems)


def test_the_runway_commands_curl_calls_kcat_and_python_examples_are_marked() -> None:
    marked = [block.text for block in BLOCKS]
    for what in ("runway audit verify", "runway show", "curl ", "kcat ", "runway token"):
        assert any(what in text for text in marked), f"no runnable block runs {what!r}"
    assert any(block.language == "python" for block in BLOCKS)
    assert {block.page.name for block in BLOCKS} >= {"README.md", "operators.md", "auditors.md",
                                                      "contracts.md", "security.md"}


def test_the_rewrite_changes_only_addresses_and_topics() -> None:
    stack = DocStack({"intake": "http://127.0.0.1:41001", "court": "http://127.0.0.1:41005"},
                     {"intake": 8001, "court": 8005}, "127.0.0.1:19092", "docs-x",
                     {}, Path("/nonexistent"))
    text = ("curl http://127.0.0.1:8001/cases http://127.0.0.1:8005/cases; "
            "kcat -b 127.0.0.1:9092 runway.judicial.events; echo services.runway.x.events "
            "runway.intake.deadletter")
    assert stack.rewrite(text) == (
        "curl http://127.0.0.1:41001/cases http://127.0.0.1:41005/cases; "
        "kcat -b 127.0.0.1:19092 docs-x.runway.judicial.events; echo services.runway.x.events "
        "docs-x.runway.intake.deadletter")


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
async def test_a_runnable_block_runs_as_written(block: Block, doc_stack: DocStack) -> None:
    code, out, err = await run(block, doc_stack)
    shown = (f"{block.name} ({block.language}):\n{doc_stack.rewrite(block.text)}"
             f"--- stdout\n{out[-4000:]}\n--- stderr\n{err[-4000:]}")
    assert code == 0, f"exited with {code}: {shown}"
    for expect in block.expects:
        assert re.search(expect, out, re.M) or re.search(expect, err, re.M), \
            f"no match for {expect!r}: {shown}"
