"""deploy/kafka/wait_kafka.py reads the client security as every Runway client does
(shared/messaging/security.py), KAFKA_SSL_CAFILE included."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.settings import REPO_ROOT

WAIT_KAFKA = REPO_ROOT / "deploy" / "kafka" / "wait_kafka.py"


def wait_kafka(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(WAIT_KAFKA), "--timeout", "1", *args],
                          env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_missing_ca_file_is_refused_naming_the_setting() -> None:
    done = wait_kafka("--bootstrap", "127.0.0.1:1",
                      env={"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "ops",
                           "KAFKA_SASL_PASSWORD": "secret",
                           "KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"})
    assert done.returncode == 2
    assert "KAFKA_SSL_CAFILE /nonexistent/ca.pem is not a file" in done.stderr


def _self_signed_ca(directory: Path) -> Path:
    """A CA certificate of the test's own (no dependence on the machine's bundle)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "runway test CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = directory / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_the_environment_ca_file_reaches_the_client(tmp_path: Path) -> None:
    # An unreachable broker over SASL_SSL: the client is built (the CA bundle loads) and
    # the wait ends at its deadline, not with a settings error.
    ca_file = _self_signed_ca(tmp_path)
    done = wait_kafka("--bootstrap", "127.0.0.1:1",
                      env={"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "ops",
                           "KAFKA_SASL_PASSWORD": "secret", "KAFKA_SSL_CAFILE": str(ca_file)})
    assert done.returncode == 1, done.stderr
    assert "not ready at 127.0.0.1:1" in done.stderr


def test_command_line_security_is_used_whole() -> None:
    # kafka.sh names its secured instance's admin on the command line; a CA file in the
    # environment (for another cluster) does not make that SASL_PLAINTEXT client invalid.
    done = wait_kafka("--bootstrap", "127.0.0.1:1", "--security-protocol", "SASL_PLAINTEXT",
                      "--sasl-username", "admin", "--sasl-password-file", str(WAIT_KAFKA),
                      env={"KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"})
    assert done.returncode == 1, done.stderr
