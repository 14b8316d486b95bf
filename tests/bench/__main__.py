"""`python -m tests.bench` (`make bench`): every figure, one JSON document on stdout.

Each figure is a module with `async def main() -> dict` that measures the figure and its raw
baseline in the same run and reports their ratio; progress goes to stderr. Add a figure by
adding its module to FIGURES.

    --only NAMES        comma-separated figure names, e.g. --only relay,latency
    --quick             small sizes, a smoke test
    --no-experiments    figures and baselines only
    --no-profile        skip the cProfile pass of the relay
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from tests.bench import (
    appends,
    console_pages,
    consumer_apply,
    http_load,
    latency,
    relay,
    replay,
    service_reads,
    transfer,
)
from tests.bench.common import size_flags

Figure = Callable[[], Awaitable[dict[str, Any]]]

# The throughput issue's goal table: (label, figure, path to the ratio, goal, "min"|"max").
GOALS: tuple[tuple[str, str, tuple[str, ...], float, str], ...] = (
    ("consumer apply (trivial handler) vs raw single-row insert", "consumer",
     ("ratio_trivial_vs_raw_insert",), 2.0, "min"),
    ("POST /cases vs /healthz, 32 connections", "http", ("ratios", "submit_vs_healthz"),
     0.25, "min"),
    ("POST /cases p99 vs one request alone (p50)", "http",
     ("ratios", "submit_p99_vs_alone_p50"), 10.0, "max"),
    ("GET /cases/{id} vs /healthz", "http", ("ratios", "read_vs_healthz"), 0.6, "min"),
    ("single appends vs raw insert", "appends", ("ratio_single_appends_vs_raw_insert",),
     0.6, "min"),
    ("relay vs raw producer (same settings)", "relay", ("ratio_relay_vs_raw_produce",),
     0.7, "min"),
    ("replay from Kafka vs raw consume", "replay", ("ratios", "replay_kafka_vs_raw_consume"),
     0.3, "min"),
    ("commit -> consumer p50 vs raw produce -> consume p50", "latency", ("ratio_p50_vs_raw",),
     3.0, "max"),
    ("37-person transfer, submit to last court intake (s)", "transfer",
     ("seconds_submit_to_last_court_intake",), 5.0, "max"),
    ("console cases list p95 (ms), 1,000 cases", "console",
     ("cases_list", "page_ms", "p95"), 300.0, "max"),
    ("console case page p95 (ms), 1,000 cases", "console",
     ("case_page", "page_ms", "p95"), 300.0, "max"),
)

FIGURES: tuple[tuple[str, Figure], ...] = (
    ("consumer", consumer_apply.main),
    ("appends", appends.main),
    ("relay", relay.main),
    ("latency", latency.main),
    ("replay", replay.main),
    ("http", http_load.main),
    ("transfer", transfer.main),
    ("console", console_pages.main),
    ("reads", service_reads.main),
)


def _only(argv: list[str]) -> set[str]:
    parser = size_flags(argparse.ArgumentParser(prog="python -m tests.bench"))
    parser.add_argument("--only", default="", help="comma-separated figure names, e.g. "
                        "relay,latency")
    args, _ = parser.parse_known_args(argv)  # the figures read their own flags
    names = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = names - {name for name, _ in FIGURES}
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}")
    return names


def main() -> None:
    only = _only(sys.argv[1:])
    report: dict[str, Any] = {}
    for name, figure in FIGURES:
        if not only or name in only:
            report[name] = asyncio.run(_run(figure))
    report["summary"] = summary(report)
    print(json.dumps(report, indent=2))
    for row in report["summary"]:
        print(f"{row['figure']:<58} {row['value']!s:>10}  goal {row['goal']}  "
              f"{'met' if row['met'] else 'NOT met'}", file=sys.stderr)


def summary(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of the throughput issue with the figure this run measured."""
    rows = []
    for label, figure, path, goal, direction in GOALS:
        value: Any = report.get(figure)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        met = value >= goal if direction == "min" else value <= goal
        rows.append({"figure": label, "value": value,
                     "goal": f"{'>=' if direction == 'min' else '<='} {goal}", "met": met})
    return rows


async def _run(figure: Figure) -> dict[str, Any]:
    return await figure()


if __name__ == "__main__":
    main()
