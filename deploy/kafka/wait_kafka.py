"""Wait until a Kafka cluster answers a real metadata request.

Used by deploy/kafka/kafka.sh (``wait`` and ``start``); runs with the project's venv
python, which has aiokafka. Exit codes: 0 ready, 1 deadline passed, 3 the local broker
process (``--pid``) exited while we were waiting.

    python deploy/kafka/wait_kafka.py --bootstrap 127.0.0.1:9092 --timeout 120 [--pid N]
        [--security-protocol SASL_PLAINTEXT --sasl-mechanism SCRAM-SHA-512
         --sasl-username admin --sasl-password-file FILE]

Without the --sasl options, KAFKA_SECURITY_PROTOCOL and KAFKA_SASL_* from the environment
apply (as for every Runway client); a secured broker counts as ready once it authenticates us.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _security(args: argparse.Namespace) -> dict[str, Any]:
    """aiokafka's SASL options from the arguments, else from the environment."""
    protocol = args.security_protocol or os.environ.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
    if protocol == "PLAINTEXT":
        return {}
    password_file = args.sasl_password_file or os.environ.get("KAFKA_SASL_PASSWORD_FILE")
    password = (Path(password_file).read_text().strip() if password_file
                else os.environ.get("KAFKA_SASL_PASSWORD"))
    return {
        "security_protocol": protocol,
        "sasl_mechanism": args.sasl_mechanism or os.environ.get("KAFKA_SASL_MECHANISM")
        or "SCRAM-SHA-512",
        "sasl_plain_username": args.sasl_username or os.environ.get("KAFKA_SASL_USERNAME"),
        "sasl_plain_password": password,
    }


async def _describe(bootstrap: str, request_timeout_ms: int,
                    security: dict[str, Any]) -> dict[str, Any]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="runway-wait-kafka",
        request_timeout_ms=request_timeout_ms,
        **security,
    )
    try:
        await admin.start()
        info: dict[str, Any] = await admin.describe_cluster()
        return info
    finally:
        await admin.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--pid", type=int, default=None)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--security-protocol", choices=["PLAINTEXT", "SASL_PLAINTEXT"])
    parser.add_argument("--sasl-mechanism")
    parser.add_argument("--sasl-username")
    parser.add_argument("--sasl-password-file")
    args = parser.parse_args()
    security = _security(args)

    # aiokafka logs every refused connection at ERROR; we report the outcome ourselves.
    logging.basicConfig(level=logging.CRITICAL)

    start = time.monotonic()
    deadline = start + args.timeout
    last_error: BaseException | None = None
    attempts = 0
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if args.pid is not None and not _alive(args.pid):
            print(
                f"kafka: broker process {args.pid} exited while waiting "
                f"({time.monotonic() - start:.1f} s)",
                file=sys.stderr,
            )
            return 3
        try:
            per_try = max(1.0, min(10.0, remaining))
            info = await asyncio.wait_for(
                _describe(args.bootstrap, int(per_try * 1000), security), timeout=per_try + 1
            )
            brokers = info.get("brokers") or []
            if brokers:
                print(
                    f"kafka: ready at {args.bootstrap} after "
                    f"{time.monotonic() - start:.1f} s "
                    f"(cluster_id={info.get('cluster_id')}, brokers={len(brokers)}, "
                    f"controller_id={info.get('controller_id')})"
                )
                return 0
            last_error = RuntimeError("metadata response lists no brokers")
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
        await asyncio.sleep(min(args.interval, max(0.0, deadline - time.monotonic())))

    print(
        f"kafka: not ready at {args.bootstrap} after {args.timeout:.0f} s "
        f"({attempts} attempts; last error: {last_error!r})",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
