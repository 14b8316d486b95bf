"""`python -m tests.bench` (`make bench`): every benchmark, one JSON document on stdout.

The platform figures (appends, relay, latency, with raw asyncpg/aiokafka baselines), the
audit replay rate (with the raw consume rate), the HTTP command and read path under 32
connections (with the same server's /healthz), and the 37-person transfer over the public
APIs, each measured in this run; progress on stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys

from tests.bench import http_load, platform, replay, transfer


def main() -> None:
    cfg, only = platform._arguments(sys.argv[1:])
    report = asyncio.run(platform.main(cfg, only))
    report["replay"] = asyncio.run(replay.main())
    report["http"] = asyncio.run(http_load.main())
    report["transfer"] = asyncio.run(transfer.main())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
