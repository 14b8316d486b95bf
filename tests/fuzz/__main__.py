"""`python -m tests.fuzz [--examples N] [service ...]` (`make fuzz`): a deeper, freshly random
schemathesis run against every service's OpenAPI document (and the audit app), in-process on
the local PostgreSQL and Kafka. Prints one summary line per app and each failure found; exits
1 if anything failed."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time

from tests.fuzz.harness import Budget, run_in_thread
from tests.fuzz.targets import SERVICES, fuzz_services
from tests.support.infra import kafka_bootstrap, pg_server_url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("services", nargs="*", help=f"some of {', '.join(SERVICES)} (all)")
    parser.add_argument("--examples", type=int, default=100,
                        help="cases per operation and mode (valid, schema-breaking)")
    args = parser.parse_args()
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    # Like the test suite: a token issuer of this run's own, trusted by the apps under test.
    os.environ.setdefault("RUNWAY_AUTH_DIR", tempfile.mkdtemp(prefix="runway-fuzz-auth-"))
    server, kafka = pg_server_url(), kafka_bootstrap()
    asyncio.run(_require(server, kafka))
    started = time.monotonic()
    reports = run_in_thread(lambda: fuzz_services(
        args.services or SERVICES, server, kafka, Budget(args.examples, derandomize=False)))
    for report in reports:
        for failure in report.failures:
            print(f"\n--- {report.service} {failure.operation}\n{failure.message}")
    print(f"\nschemathesis fuzz, {args.examples} cases per operation and mode, "
          f"{time.monotonic() - started:.0f} s")
    for report in reports:
        print(report.line())
    total = sum(len(r.failures) for r in reports)
    print(f"total: {sum(r.operations for r in reports)} operations, "
          f"{sum(r.calls for r in reports)} calls, {total} failures")
    sys.exit(1 if total else 0)


async def _require(server: str, kafka: str) -> None:
    from tests.support.infra import require_kafka, require_postgres
    await require_postgres(server)
    await require_kafka(kafka)


if __name__ == "__main__":
    main()
