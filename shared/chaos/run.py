"""`make chaos SEED=… KILLS=… CASES=…`: a cluster of its own (three KRaft brokers, two
replicas of every service, HAProxy, a PostgreSQL server of its own), the seeded workload
entered through the load balancers while the seeded fault schedule runs, then the checks.
Prints the schedule, the check table and the fault table; writes var/chaos/<seed>.json; exits
0 only when every check holds and every fault recovered.

    python -m shared.chaos.run --seed 1 --kills 100 --cases 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.infra.cluster import Cluster, Layout, bindable
from shared.legaltime import legal_date, stop_unless_legal_zone
from shared.retry import poll
from shared.security import AuthSettings
from shared.settings import REPO_ROOT
from shared.topology import SERVICES

from . import checks, schedule
from .checks import Check, Target
from .client import ChaosApi
from .faults import Injector
from .postgres import OwnPostgres
from .workload import generate, play

REPORTS = REPO_ROOT / "var" / "chaos"
# After the last fault a consumer group may still be rebalancing (seconds here; a slow box
# and a broker restart make it a minute or more): the checks wait for the events this long.
# (checks.SETTLE_S, --settle, is the later wait for the cases to reach the oracle's state.)
CATCH_UP_S = 300.0


def say(line: str) -> None:
    print(line, flush=True)


async def run(seed: int, kills: int, cases: int, every: float, root: Path,
              port: Any) -> dict[str, Any]:
    """The whole run; `port(wanted)` picks each listening port (free ones)."""
    faults = schedule.build(seed, kills, every=every)
    say(f"chaos seed {seed}: {cases} cases, {len(faults)} faults\n{schedule.describe(faults)}")
    tag = f"{seed}{datetime.now(UTC):%H%M%S}"
    report: dict[str, Any] = {"seed": seed, "kills": kills, "cases": cases}
    # Every part is stopped in reverse order of starting, whatever fails (a setup step, a
    # stop, Ctrl-C): a PostgreSQL server or broker left behind outlives this process.
    async with contextlib.AsyncExitStack() as parts:
        # Under /tmp (world-traversable): the postgres user owns the data directory.
        postgres = OwnPostgres(Path(tempfile.mkdtemp(prefix=f"runway-chaos-pg-{seed}-")),
                               port(15_433))
        parts.callback(shutil.rmtree, postgres.root, ignore_errors=True)
        parts.push_async_callback(postgres.stop)
        await postgres.init()
        await postgres.start()
        names = {s: f"chaos_{s}" for s in SERVICES}
        await postgres.create([*names.values(), "chaos_keys"])
        cluster = _cluster(Layout.build(root, services=SERVICES, replicas=2, brokers=3,
                                        namespace=f"chaos{tag}", port=port),
                           postgres, names)
        parts.push_async_callback(cluster.stop)
        api = ChaosApi({s: cluster.layout.url(s) for s in SERVICES})
        parts.push_async_callback(api.close)
        say("starting the cluster (3 brokers, 2 replicas of each service, HAProxy)")
        await cluster.start()
        report |= await exercise(cluster, postgres, api, seed, cases, faults)
    return report


def _cluster(layout: Layout, postgres: OwnPostgres, names: dict[str, str]) -> Cluster:
    """The run's cluster on its own PostgreSQL, trusting the local token issuer."""
    if not AuthSettings().jwks:
        from shared.security.keys import LocalIssuerKeys
        LocalIssuerKeys(AuthSettings().local_dir).ensure()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    return Cluster(layout, lambda s: postgres.url(names[s]),
                   env={"RUNWAY_KEYSTORE_URL": postgres.url("chaos_keys"),
                        "CONSOLE_COOKIE_SECRET": secrets.token_urlsafe(32)})


async def exercise(cluster: Cluster, postgres: OwnPostgres, api: ChaosApi, seed: int,
                   cases: int, faults: list[schedule.Fault]) -> dict[str, Any]:
    layout = cluster.layout
    scripts = generate(seed, cases, tag=layout.namespace.removeprefix("chaos"))
    injector = Injector(cluster, postgres, say)
    started = time.monotonic()
    today = legal_date(datetime.now(UTC))
    faulting = asyncio.create_task(injector.run(faults, started))
    try:
        people = await play(api, scripts, today, say)
        workload_s = time.monotonic() - started
        fired_during = sum(1 for m in injector.measured if m.fired_at <= workload_s)
        await faulting
    finally:
        # The workload failed or Ctrl-C: no fault may fire while the caller stops the
        # cluster (a part restarted then would never be stopped).
        await _stopped(faulting)
    say(f"workload done in {workload_s:.0f} s ({fired_during} faults fired during it); "
        "checking")
    target = Target({s: cluster.database_url(s) for s in SERVICES}, layout.bootstrap,
                    layout.namespace)
    catch_up_s = await catch_up(target)
    oracle, details = await checks.oracle_check(api, people)
    seen = {str(p.case_id): await checks.observed_or_none(api, p) for p in people if p.case_id}
    lost, twice, numbers = await checks.events_check(target)
    dead, dead_counts = await checks.dead_letter_check(target)
    results = [checks.verify_check(target), checks.replay_check(target), oracle, lost, twice,
               checks.flown_without_clearance(people, seen), dead,
               checks.server_error_check(api.stats.server_errors)]
    unrecovered = [m for m in injector.measured if m.error]
    results.append(Check("every fault recovered", not unrecovered,
                         f"{len(injector.measured)} faults" if not unrecovered else
                         f"{len(unrecovered)} did not: {unrecovered[0].error}"))
    return {"workload_s": round(workload_s, 1), "faults_during_workload": fired_during,
            "catch_up_s": catch_up_s,
            "checks": [asdict(c) for c in results],
            "faults": [{"fault": m.fault.kind, "at": m.fired_at, "target": m.target,
                        "recovery_s": m.recovery_s, "error": m.error}
                       for m in injector.measured],
            "client_retries": dict(api.stats.retries), "oracle": details,
            "events": numbers, "dead_letters": dead_counts}


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel `task` unless it is done, and wait until it has ended."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def catch_up(target: Target) -> float:
    """Wait, up to CATCH_UP_S, for every event to reach every consumer, and say how long it
    took; past that the checks run anyway and "no event lost" names what is missing."""
    say("waiting for every consumer to catch up")
    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await poll(lambda: checks.caught_up(target), within=CATCH_UP_S, every=2.0,
                   what="every consumer to catch up")
    waited = time.monotonic() - started
    say(f"caught up in {waited:.0f} s")
    return round(waited, 1)


def table(report: dict[str, Any]) -> str:
    lines = [f"{'check':<40} {'result':<6} detail"]
    lines += [f"{c['name']:<40} {'OK' if c['ok'] else 'FAIL':<6} {c['detail']}"
              for c in report["checks"]]
    lines += ["", f"{'fault':<9} {'at s':>8}  {'target':<28} {'recovery s':>10}"]
    lines += [f"{f['fault']:<9} {f['at']:>8.2f}  {f['target']:<28} "
              f"{f['recovery_s'] if f['recovery_s'] is not None else 'FAILED':>10}"
              for f in sorted(report["faults"], key=lambda f: f["at"])]
    by_kind: dict[str, list[float]] = {}
    for fault in report["faults"]:
        if fault["recovery_s"] is not None:
            by_kind.setdefault(fault["fault"], []).append(fault["recovery_s"])
    lines += ["", "recovery by fault kind: " + "; ".join(
        f"{k} n={len(v)} median {sorted(v)[len(v) // 2]:.1f} s max {max(v):.1f} s"
        for k, v in sorted(by_kind.items()))]
    lines.append(f"client retries: {report['client_retries']}")
    return "\n".join(lines)


def passed(report: dict[str, Any]) -> bool:
    return all(c["ok"] for c in report["checks"])


def _port(wanted: int) -> int:
    """The wanted port when free, else the next free one above it."""
    for candidate in range(wanted, wanted + 2000):
        if candidate not in _given and bindable(candidate):
            _given.add(candidate)
            return candidate
    raise RuntimeError(f"no free port from {wanted}")


_given: set[int] = set()
# Away from `make cluster` (18000-19100) and the dev stack: the chaos cluster's own ports.
CHAOS_OFFSET = 6_000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.chaos.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--every", type=float, default=2.0,
                        help="mean seconds between faults (2.0)")
    parser.add_argument("--settle", type=float, default=checks.SETTLE_S,
                        help="seconds the cases get to reach the oracle's state at the end")
    args = parser.parse_args()
    stop_unless_legal_zone("chaos")  # before the cluster is built, not minutes into the run
    checks.SETTLE_S = args.settle
    root = REPORTS / f"cluster-{args.seed}"
    shutil.rmtree(root, ignore_errors=True)  # a fresh cluster: brokers formatted anew
    report = asyncio.run(run(args.seed, args.kills, args.cases, args.every, root,
                             lambda wanted: _port(wanted + CHAOS_OFFSET)))
    REPORTS.mkdir(parents=True, exist_ok=True)
    out = REPORTS / f"{args.seed}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    say("\n" + table(report))
    say(f"\nreport: {out.relative_to(REPO_ROOT)}; {'ALL GREEN' if passed(report) else 'FAILED'}")
    sys.exit(0 if passed(report) else 1)


if __name__ == "__main__":
    main()
