"""A second, secured Kafka broker for the ACL tests: deploy/kafka/kafka.sh in its SASL/SCRAM
mode, on free ports and in a directory of its own, beside the plaintext broker the rest of the
suite uses. Like every infrastructure the tests need, if it cannot start the test fails."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.messaging.security import KafkaSecurity, KafkaSecuritySettings
from shared.settings import REPO_ROOT
from tests.support.ports import free_port

KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
# What the suite's own environment may say about the plaintext broker or its clients, none of
# which applies to this instance.
INHERITED = ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "KAFKA_DATA_DIR",
             "KAFKA_INSTANCE", "KAFKA_HEAP_OPTS", "KAFKA_SCRAM_USERS", "KAFKA_CREDENTIALS_DIR",
             "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
             "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CAFILE")


@dataclass(frozen=True)
class SecureKafka:
    bootstrap: str
    controller_port: int  # the KRaft controller listener, on 127.0.0.1
    credentials: Path
    env: dict[str, str]

    def password_file(self, user: str) -> Path:
        return self.credentials / f"{user}.password"

    def security(self, user: str, password: str | None = None) -> KafkaSecurity:
        """A client of `user` (with its real password unless one is given)."""
        return KafkaSecurity(protocol="SASL_PLAINTEXT", mechanism="SCRAM-SHA-512",
                             username=user,
                             password=password or self.password_file(user).read_text().strip())

    def client_env(self, user: str) -> dict[str, str]:
        """The environment of a Runway tool run as `user` against this broker."""
        return {**self.env, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": user,
                "KAFKA_SASL_PASSWORD_FILE": str(self.password_file(user))}

    def settings(self, user: str) -> KafkaSecuritySettings:
        """What a service of `user` reads from its environment."""
        return KafkaSecuritySettings(protocol="SASL_PLAINTEXT", mechanism="SCRAM-SHA-512",
                                     username=user, password=None,
                                     password_file=self.password_file(user), ssl_cafile=None)


async def _kafka_sh(env: dict[str, str], *args: str, timeout: float) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(KAFKA_SH), *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        return -1, output.decode(errors="replace") + f"\n(kafka.sh {args} timed out)"
    return int(process.returncode or 0), output.decode(errors="replace")


async def start_secure_kafka(var_dir: Path) -> SecureKafka:
    port = free_port()
    controller_port = free_port()
    while controller_port == port:
        controller_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in INHERITED}
    env.update(RUNWAY_KAFKA_SECURITY="sasl_scram", RUNWAY_VAR=str(var_dir),
               KAFKA_PORT=str(port), KAFKA_CONTROLLER_PORT=str(controller_port),
               KAFKA_START_TIMEOUT="90", PYTHON=sys.executable)
    status, output = await _kafka_sh(env, "start", timeout=150)
    if status != 0:
        await _kafka_sh(env, "stop", timeout=60)
        pytest.fail(f"the SASL/SCRAM Kafka broker did not start (deploy/kafka/kafka.sh start "
                    f"exited {status}):\n{output}", pytrace=False)
    return SecureKafka(bootstrap=f"127.0.0.1:{port}", controller_port=controller_port,
                       credentials=var_dir / "kafka-sasl" / "credentials", env=env)


async def stop_secure_kafka(kafka: SecureKafka) -> None:
    await _kafka_sh(kafka.env, "stop", timeout=60)
