"""What every bench figure shares: configuration, payloads, the CPU meter that shows whether
other processes disturbed a measurement, the throughput harness, fresh databases and topics.
Nothing runs at import time."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import math
import os
import platform as pyplatform
import pstats
import random
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.clock import SystemClock
from shared.db import Database, asyncpg_dsn
from shared.eventstore import (
    Actor,
    EventContext,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from shared.jsoncanon import canonical_json
from shared.migrate import migrate_url
from tests.support.infra import (
    create_database,
    create_topics,
    drop_database,
    unique_topic,
)

TOPIC_PARTITIONS = 6  # as contracts/topics.yaml declares Runway's topics
EVENT_TYPE = "bench.step_recorded"
STREAM_TYPE = "case"
SOURCE = "/runway/bench"
ACTOR = Actor("bench-operator", "operator")
STORE = EventStore(SystemClock())
_STARTED = time.monotonic()


@dataclass(frozen=True)
class Config:
    warmup_s: float = 1.0
    measure_s: float = 4.0
    payload_bytes: int = 1024
    append_concurrency: int = 8
    batch_concurrency: int = 4
    batch_events: int = 100
    relay_events: int = 50_000
    relay_warmup_events: int = 5_000
    relay_batch_sizes: tuple[int, ...] = (500, 1000, 2000)
    latency_rate_per_s: float = 200.0
    latency_events: int = 2_000
    latency_warmup_events: int = 200
    latency_streams: int = 20
    raw_kafka_messages: int = 50_000
    raw_kafka_warmup_messages: int = 2_000
    profile: bool = True
    experiments: bool = True
    quick: bool = False


CPU_SAMPLE_S = 0.5  # how long one "is the box quiet?" CPU sample lasts
LEADER_POLL_S = 0.0005  # the relay leads within ms; poll tightly so timing starts then


@contextlib.contextmanager
def stopwatch(record: Callable[[float], None]) -> Iterator[None]:
    """Tells `record` how long the block took (perf_counter seconds), even when it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record(time.perf_counter() - started)


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- helpers


_PROSE = (
    "extradition request treaty article court judge hearing evidence warrant arrest custody "
    "surrender diplomatic note embassy ministry prosecutor defence counsel appeal ruling order "
    "translation certified document exhibit witness statement charge fraud trafficking "
    "identity photograph fingerprint record transfer escort flight border port authority "
    "review deadline extension provisional detention bail hearing transcript signature seal"
)
_WORDS = _PROSE.split()


def make_payloads(count: int, size: int, seed: int = 7) -> list[dict[str, Any]]:
    """Event payloads whose canonical JSON is about `size` bytes, with text that compresses
    like real prose rather than like a repeated character."""
    rng = random.Random(seed)
    payloads: list[dict[str, Any]] = []
    for index in range(count):
        payload: dict[str, Any] = {
            "case_number": f"MX-2026-{index:06d}",
            "court": rng.choice(["CDMX-1", "CDMX-2", "JAL-3", "NL-4"]),
            "charges": rng.sample(["fraud", "trafficking", "homicide", "laundering"], 2),
            "step": index,
            "narrative": "",
        }
        words: list[str] = []
        while len(canonical_json(payload)) < size:
            words.append(rng.choice(_WORDS))
            payload["narrative"] = " ".join(words)
        payloads.append(payload)
    return payloads


def percentiles(values_s: Sequence[float]) -> dict[str, float]:
    """Nearest-rank percentiles of durations given in seconds, reported in milliseconds."""
    if not values_s:
        return {}
    ordered = sorted(values_s)

    def rank(p: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return round(ordered[index] * 1000, 3)

    return {
        "n": len(ordered),
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": round(ordered[-1] * 1000, 3),
        "mean": round(sum(ordered) / len(ordered) * 1000, 3),
    }


async def append(
    db: Database,
    stream_id: str,
    expected_version: int,
    events: list[NewEvent],
    topic: str | None,
    head_hash: str | None = None,
) -> list[RecordedEvent]:
    async with db.transaction() as conn:
        return await STORE.append(
            conn, stream_id=stream_id, stream_type=STREAM_TYPE,
            expected_version=expected_version, events=events,
            context=EventContext(ACTOR), topic=topic, head_hash=head_hash,
        )


# ------------------------------------------------------------------------------ CPU meter

_TICKS = os.sysconf("SC_CLK_TCK")
_PG_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum",
                  "logical replication", "archiver", "stats collector", "/bin/postgres")


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    busy: float
    by_process: dict[int, tuple[str, float]]


class CpuMeter:
    """Where the machine's cores went during a measurement, by process: this Python
    process, PostgreSQL backends serving the bench's databases, PostgreSQL's background
    processes (WAL writer, checkpointer, autovacuum), the Kafka broker, and everything else
    (another test run on the same box shows up there, so a contaminated figure is visible)."""

    def __init__(self, quiet_budget_s: float = 30.0) -> None:
        self.kafka_pid = _kafka_pid()
        self.own_pid = os.getpid()
        self.databases: set[str] = set()
        self.quiet_budget_s = quiet_budget_s
        self.waited_for_quiet_s = 0.0  # waiting and re-measuring, against the budget

    async def quiet(self) -> None:
        """Before a measurement: while other processes (say, a test run) keep more than
        CONTENDED_CORES busy, wait, within an overall budget (shared with re-measuring, so
        a box that stays busy costs the run at most that budget); then measure anyway, and
        the measurement's cpu block shows the disturbance."""
        announced = False
        while self.waited_for_quiet_s < self.quiet_budget_s:
            before = self.snap()
            await asyncio.sleep(CPU_SAMPLE_S)  # a CPU sample, not a synchronisation
            other = self.usage(before, self.snap())["other_processes"]
            if other <= CONTENDED_CORES:
                return
            self.waited_for_quiet_s += 0.5
            if not announced:
                say(f"  other processes busy ({other} cores); waiting for quiet")
                announced = True

    def snap(self) -> CpuSnapshot:
        by_process: dict[int, tuple[str, float]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            seconds = _process_cpu(pid)
            if seconds is not None:
                by_process[pid] = (self._classify(pid), seconds)
        return CpuSnapshot(time.monotonic(), _machine_busy(), by_process)

    def _classify(self, pid: int) -> str:
        if pid == self.own_pid:
            return "python_bench_process"
        if pid == self.kafka_pid:
            return "kafka_broker"
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                title = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return "other_processes"
        if title.startswith("postgres") or "/bin/postgres" in title:
            if any(f" {name} " in title for name in self.databases):
                return "postgres_bench_backends"
            if any(marker in title for marker in _PG_BACKGROUND):
                return "postgres_background"
            return "other_processes"
        return "other_processes"

    def usage(self, before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
        wall = max(after.wall - before.wall, 1e-9)
        cores: dict[str, float] = {"python_bench_process": 0.0, "postgres_bench_backends": 0.0,
                                   "postgres_background": 0.0, "kafka_broker": 0.0}
        for pid, (group, seconds) in after.by_process.items():
            start = before.by_process.get(pid, (group, 0.0))[1]
            cores[group] = cores.get(group, 0.0) + (seconds - start) / wall
        machine = (after.busy - before.busy) / wall
        accounted = sum(v for k, v in cores.items() if k != "other_processes")
        # Processes that came and went between the snapshots are only in the machine total.
        cores["other_processes"] = max(0.0, machine - accounted)
        return {**{k: round(v, 2) for k, v in cores.items()},
                "machine_busy": round(machine, 2), "machine_cores": float(os.cpu_count() or 0)}


def _kafka_pid() -> int | None:
    """The local broker's pid, as deploy/kafka/kafka.sh records it (same RUNWAY_VAR, instance)."""
    var = Path(os.environ.get("RUNWAY_VAR") or Path(__file__).resolve().parents[2] / "var")
    secure = os.environ.get("RUNWAY_KAFKA_SECURITY") == "sasl_scram"
    instance = os.environ.get("KAFKA_INSTANCE") or ("kafka-sasl" if secure else "kafka")
    try:
        pid = int((var / "run" / f"{instance}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def _process_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _machine_busy() -> float:
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / _TICKS  # all but idle and iowait


# ------------------------------------------------------------------------ throughput harness


@dataclass
class Meter:
    count: int = 0
    measuring: bool = False
    latencies: list[float] = field(default_factory=list)

    def record(self, started: float, amount: int = 1) -> None:
        self.count += amount
        if self.measuring:
            self.latencies.append(time.perf_counter() - started)


Worker = Callable[[int, Meter, asyncio.Event], Coroutine[Any, Any, None]]


async def measure_throughput(
    worker: Worker, concurrency: int, cfg: Config, cpu: CpuMeter
) -> dict[str, Any]:
    """Run `concurrency` copies of `worker`; count what they do after a warm-up."""
    await cpu.quiet()
    meter, stop = Meter(), asyncio.Event()
    tasks = [asyncio.create_task(worker(i, meter, stop)) for i in range(concurrency)]
    try:
        await _sleep_watching(tasks, cfg.warmup_s)
        first, before = meter.count, cpu.snap()
        meter.measuring = True
        await _sleep_watching(tasks, cfg.measure_s)
        last, after = meter.count, cpu.snap()
        meter.measuring = False
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    seconds = after.wall - before.wall
    return {
        "per_s": round((last - first) / seconds, 1),
        "count": last - first,
        "seconds": round(seconds, 3),
        "concurrency": concurrency,
        "call_latency_ms": percentiles(meter.latencies),
        "cpu": cpu.usage(before, after),
    }


CONTENDED_CORES = 0.25


async def steady(
    label: str, measure: Callable[[], Coroutine[Any, Any, dict[str, Any]]], cpu: CpuMeter
) -> dict[str, Any]:
    """Measure; if other processes (another test run on this box) took more than a quarter
    of a core meanwhile, measure once more and keep the less disturbed run."""
    say(label)
    result = await measure()
    if (result["cpu"]["other_processes"] > CONTENDED_CORES
            and cpu.waited_for_quiet_s < cpu.quiet_budget_s):
        say(f"  {result['per_s']:.0f}/s but other processes used "
            f"{result['cpu']['other_processes']} cores; measuring again")
        started = time.monotonic()
        again = await measure()
        cpu.waited_for_quiet_s += time.monotonic() - started
        again["retried_because_contended"] = True
        if again["cpu"]["other_processes"] < result["cpu"]["other_processes"]:
            result = again
    result["contended"] = result["cpu"]["other_processes"] > CONTENDED_CORES
    say(f"  {result['per_s']:.0f}/s cpu={result['cpu']}")
    return result


async def _sleep_watching(tasks: list[asyncio.Task[None]], seconds: float) -> None:
    """Sleep, but surface a worker's failure at once instead of after the measurement."""
    done, _ = await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        task.result()


async def _sql(url: str, statement: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


ProducerFactory = Callable[[], AIOKafkaProducer]

def summarise_profile(profiler: cProfile.Profile, top: int = 20) -> dict[str, Any]:
    """cProfile own time grouped by library, plus the heaviest functions."""
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values()) or 1e-9
    groups: dict[str, float] = {}
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.items():
        group = _profile_group(filename, name)
        groups[group] = groups.get(group, 0.0) + own
        rows.append((own, cumulative, calls, f"{_short(filename)}:{line}:{name}"))
    rows.sort(reverse=True)
    by_group: dict[str, float] = {}
    for group, own in sorted(groups.items(), key=lambda kv: -kv[1]):
        key = group if own / total >= 0.01 else "other (each < 1%)"
        by_group[key] = by_group.get(key, 0.0) + own / total
    return {
        "profiled_seconds": round(total, 3),
        "note": ("cProfile own time; its per-call overhead inflates Python-heavy code, and "
                 "time blocked in epoll is the process idling"),
        "own_time_by_group": {g: round(v, 3) for g, v in by_group.items()},
        "top_functions_by_own_time": [
            {"function": where, "own_s": round(own, 3), "share": round(own / total, 3),
             "cumulative_s": round(cum, 3), "calls": calls}
            for own, cum, calls, where in rows[:top]
        ],
    }


def _profile_group(filename: str, name: str) -> str:
    if filename == "~":
        if "epoll" in name or "select" in name:
            return "idle: waiting in epoll"
        if "socket" in name or "transport" in name:
            return "builtins: socket I/O"
        return "builtins: other C functions"
    for marker, group in (("/aiokafka/", "aiokafka"), ("/sqlalchemy/", "sqlalchemy"),
                          ("/asyncpg/", "asyncpg"), ("/shared/", "runway shared/"),
                          ("/asyncio/", "asyncio event loop"), ("/tests/bench/", "bench")):
        if marker in filename:
            return group
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/", 1)[0]
    return "stdlib: " + Path(filename).stem


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _sample_recorded_events(payloads: list[dict[str, Any]]) -> list[RecordedEvent]:
    chained = STORE._chain("relay-case-00000", STREAM_TYPE, 0, "0" * 64,
                           [NewEvent(EVENT_TYPE, p) for p in payloads], EventContext(ACTOR))
    return [replace(e, stream_id=f"relay-case-{i:05d}") for i, e in enumerate(chained)]


# --------------------------------------------------------------------------------- plumbing


class Cleanup:
    """Fresh databases and unique topics, all removed at the end."""

    def __init__(self, cpu: CpuMeter) -> None:
        self.databases: list[tuple[str, str]] = []
        self.topics: list[tuple[str, str]] = []
        self._cpu = cpu

    async def database(self, server: str, template: str | None = None) -> str:
        url = await create_database(server, template=template)
        self.databases.append((server, url))
        self._cpu.databases.add(url.rsplit("/", 1)[-1].split("?")[0])
        return url

    async def create_topics(self, bootstrap: str, labels: Sequence[str]) -> dict[str, str]:
        """Unique topics created up front, in one request, so that partition leadership has
        settled long before a section first produces to them."""
        names = {label: unique_topic(f"bench.{label}") for label in labels}
        await create_topics(bootstrap, list(names.values()), partitions=TOPIC_PARTITIONS)
        self.topics.extend((bootstrap, name) for name in names.values())
        return names

    async def run(self) -> None:
        for server, url in reversed(self.databases):
            with contextlib.suppress(Exception):
                await drop_database(server, url)
        by_server: dict[str, list[str]] = {}
        for bootstrap, name in self.topics:
            by_server.setdefault(bootstrap, []).append(name)
        for bootstrap, names in by_server.items():
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
            with contextlib.suppress(Exception):
                await admin.start()
                await admin.delete_topics(names)
            with contextlib.suppress(Exception):
                await admin.close()


@contextlib.asynccontextmanager
async def migrated_template(server: str, cleanup: Cleanup) -> AsyncIterator[str]:
    url = await cleanup.database(server)
    await migrate_url(url)
    yield url.rsplit("/", 1)[-1].split("?")[0]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""


async def machine_info(server: str, bootstrap: str, cpu: CpuMeter) -> dict[str, Any]:
    model = _cpu_model()
    conn = await asyncpg.connect(asyncpg_dsn(server))
    try:
        settings = {name: await conn.fetchval(f"SHOW {name}") for name in
                    ("server_version", "synchronous_commit", "fsync", "shared_buffers")}
    finally:
        await conn.close()
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "os": pyplatform.platform(),
        "event_loop": type(asyncio.get_running_loop()).__module__,
        "packages": {p: package_version(p) for p in ("aiokafka", "asyncpg", "sqlalchemy")},
        "postgres": {"server": server.split("@")[-1], **settings},
        "kafka_bootstrap": bootstrap,
        "kafka_broker_pid_found": cpu.kafka_pid is not None,
    }




def ratio(value: Any, baseline: Any) -> float | None:
    """value / baseline, rounded; None when either is missing."""
    return round(value / baseline, 3) if value is not None and baseline else None


def contended(node: Any, path: str = "") -> list[str]:
    """Measurements during which other processes used more than CONTENDED_CORES."""
    return sorted(_contended(node, path))


def _contended(node: Any, path: str = "") -> set[str]:
    """Measurements during which other processes used more than CONTENDED_CORES."""
    found: set[str] = set()
    if isinstance(node, dict):
        cpu = node.get("cpu")
        if isinstance(cpu, dict) and cpu.get("other_processes", 0) > CONTENDED_CORES:
            found.add(f"{path} (other processes {cpu['other_processes']} cores)")
        for key, value in node.items():
            if key != "cpu":
                found |= _contended(value, f"{path}.{key}" if path else key)
    return found




_CONFIG: Config | None = None


def size_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags every figure reads (config()), on `parser`."""
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the cProfile pass of the relay")
    parser.add_argument("--no-experiments", action="store_true",
                        help="figures and baselines only")
    return parser


def config() -> Config:
    """The run's sizes, from the command line (`--quick`, `--no-experiments`, `--no-profile`),
    read when a figure first asks, so that each figure module keeps `async def main()`."""
    global _CONFIG
    if _CONFIG is None:
        args, _ = size_flags(argparse.ArgumentParser(prog="python -m tests.bench")
                             ).parse_known_args(sys.argv[1:])
        cfg = Config(profile=not args.no_profile, experiments=not args.no_experiments,
                     quick=args.quick)
        if args.quick:
            cfg = replace(cfg, warmup_s=0.3, measure_s=1.0, relay_events=5_000,
                          relay_warmup_events=1_000, latency_events=200,
                          latency_warmup_events=50, raw_kafka_messages=5_000,
                          raw_kafka_warmup_messages=500)
        _CONFIG = cfg
    return _CONFIG


def sized(full_and_quick: tuple[int, int]) -> int:
    """A figure's own size: the first for a full run, the second with --quick."""
    full, quick = full_and_quick
    return quick if config().quick else full
