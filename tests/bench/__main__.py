"""`python -m tests.bench` (`make bench`): every benchmark, one JSON document on stdout.

The platform figures (appends, relay, latency, with raw asyncpg/aiokafka baselines) and the
audit replay rate (with the raw consume rate), each measured in this run; progress on stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys

from tests.bench import platform, replay


def main() -> None:
    cfg, only = platform._arguments(sys.argv[1:])
    report = asyncio.run(platform.main(cfg, only))
    report["replay"] = asyncio.run(replay.main())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
