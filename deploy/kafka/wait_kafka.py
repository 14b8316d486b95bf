"""Wait until a Kafka cluster answers a real metadata request.

Used by deploy/kafka/kafka.sh (``wait`` and ``start``); runs with the project's venv
python, which has aiokafka and Runway's own packages. Exit codes: 0 ready, 1 deadline passed,
2 the security settings contradict each other or name a missing file, 3 the local broker
process (``--pid``) exited while we were waiting.

    python deploy/kafka/wait_kafka.py --bootstrap 127.0.0.1:9092 --timeout 120 [--pid N]
        [--security-protocol SASL_PLAINTEXT --sasl-mechanism SCRAM-SHA-512
         --sasl-username admin --sasl-password-file FILE]

Without --security-protocol, the environment's KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* and
KAFKA_SSL_CAFILE apply (shared/messaging/security.py, as for every Runway client); a secured
broker counts as ready once it authenticates us. Exit code 2: those settings contradict each
other or name a missing file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from shared.messaging.kafka import make_admin
from shared.messaging.security import (
    KafkaSecurity,
    KafkaSecurityError,
    KafkaSecuritySettings,
    security_from_env,
)
from shared.process import alive
from shared.retry import Deadline, poll


class BrokerExited(Exception):
    """The local broker process we were waiting on is gone: waiting longer cannot help."""


def _security(args: argparse.Namespace) -> KafkaSecurity:
    """The client security the arguments describe (kafka.sh gives all of it for its secured
    instance), else the environment's, read as every Runway client reads it (SASL_SSL's
    KAFKA_SSL_CAFILE included)."""
    if args.security_protocol is None:
        return security_from_env()
    return KafkaSecuritySettings(
        protocol=args.security_protocol, mechanism=args.sasl_mechanism or "SCRAM-SHA-512",
        username=args.sasl_username, password=None, password_file=args.sasl_password_file,
        ssl_cafile=args.ssl_cafile).resolve()


async def _describe(bootstrap: str, request_timeout_ms: int,
                    security: KafkaSecurity) -> dict[str, Any]:
    admin = make_admin(bootstrap, request_timeout_ms=request_timeout_ms, security=security,
                       client_id="runway-wait-kafka")
    try:
        await admin.start()
        info: dict[str, Any] = await admin.describe_cluster()
        return info
    finally:
        await admin.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--pid", type=int, default=None)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--security-protocol", choices=["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"])
    parser.add_argument("--sasl-mechanism")
    parser.add_argument("--sasl-username")
    parser.add_argument("--sasl-password-file", type=Path)
    parser.add_argument("--ssl-cafile", type=Path)
    return parser.parse_args()


async def main() -> int:
    args = _arguments()
    try:
        security = _security(args)
    except KafkaSecurityError as error:
        print(f"kafka: {error}", file=sys.stderr)
        return 2

    # aiokafka logs every refused connection at ERROR; we report the outcome ourselves.
    logging.basicConfig(level=logging.CRITICAL)

    start = time.monotonic()
    deadline = Deadline(args.timeout)
    last_error: BaseException | None = None
    attempts = 0

    async def described() -> dict[str, Any] | None:
        nonlocal attempts, last_error
        attempts += 1
        if args.pid is not None and not alive(args.pid):
            raise BrokerExited
        try:
            per_try = max(1.0, min(10.0, deadline.remaining()))
            info = await asyncio.wait_for(
                _describe(args.bootstrap, int(per_try * 1000), security), timeout=per_try + 1
            )
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
            return None
        if not info.get("brokers"):
            last_error = RuntimeError("metadata response lists no brokers")
            return None
        return info

    try:
        info = await poll(described, within=deadline, every=args.interval)
    except BrokerExited:
        print(f"kafka: broker process {args.pid} exited while waiting "
              f"({time.monotonic() - start:.1f} s)", file=sys.stderr)
        return 3
    except TimeoutError:
        print(f"kafka: not ready at {args.bootstrap} after {args.timeout:.0f} s "
              f"({attempts} attempts; last error: {last_error!r})", file=sys.stderr)
        return 1
    print(f"kafka: ready at {args.bootstrap} after {time.monotonic() - start:.1f} s "
          f"(cluster_id={info.get('cluster_id')}, brokers={len(info['brokers'])}, "
          f"controller_id={info.get('controller_id')})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
