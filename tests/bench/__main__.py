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

from tests.bench import appends, http_load, latency, relay, replay, transfer

Figure = Callable[[], Awaitable[dict[str, Any]]]

FIGURES: tuple[tuple[str, Figure], ...] = (
    ("appends", appends.main),
    ("relay", relay.main),
    ("latency", latency.main),
    ("replay", replay.main),
    ("http", http_load.main),
    ("transfer", transfer.main),
)


def _only(argv: list[str]) -> set[str]:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--only", default="", help="comma-separated figure names")
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
    print(json.dumps(report, indent=2))


async def _run(figure: Figure) -> dict[str, Any]:
    return await figure()


if __name__ == "__main__":
    main()
