"""Kafka client security read from the environment: plaintext by default, SASL when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.messaging.security import (
    PLAINTEXT,
    KafkaSecurity,
    KafkaSecurityError,
    KafkaSecuritySettings,
)
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings

VARIABLES = ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
             "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CAFILE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_settings_clients_are_plaintext_and_built_as_before() -> None:
    security = KafkaSecuritySettings().resolve()
    assert security == PLAINTEXT
    assert security.client_options() == {}


def test_a_service_reads_its_scram_user_and_password_file_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "transport.password"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "transport")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD_FILE", str(secret))
    settings = ServiceSettings(service_name="transport",
                               service_database_url="sqlite+aiosqlite://")
    runtime = ServiceRuntime(ServiceSpec(name="transport", title="t", default_port=1), settings)
    assert runtime.kafka_security.principal == "User:transport"
    assert runtime.kafka_security.client_options() == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "transport", "sasl_plain_password": "s3cret"}
    assert "s3cret" not in repr(runtime.kafka_security)


def test_the_password_may_come_straight_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "court")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "pw")
    assert KafkaSecuritySettings().resolve().password == "pw"


def test_sasl_ssl_adds_a_tls_context() -> None:
    security = KafkaSecurity(protocol="SASL_SSL", username="court", password="pw")
    assert security.client_options()["ssl_context"] is not None


def test_plain_is_refused_unless_tls_hides_the_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "court")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "pw")
    with pytest.raises(KafkaSecurityError, match=r"KAFKA_SASL_MECHANISM=PLAIN .* in clear "
                       r"over KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"):
        KafkaSecuritySettings().resolve()

    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    options = KafkaSecuritySettings().resolve().client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "PLAIN")


@pytest.mark.parametrize("environment, complaint", [
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "needs KAFKA_SASL_USERNAME"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "court"},
     "needs KAFKA_SASL_USERNAME"),
    ({"KAFKA_SASL_USERNAME": "court", "KAFKA_SASL_PASSWORD": "pw"}, "PLAINTEXT"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "court",
      "KAFKA_SASL_PASSWORD": "pw", "KAFKA_SASL_PASSWORD_FILE": "/x"}, "not both"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "court",
      "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/court.password"}, "not readable"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "court",
      "KAFKA_SASL_PASSWORD": "pw", "KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "not a file"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "court",
      "KAFKA_SASL_PASSWORD": "pw", "KAFKA_SSL_CAFILE": __file__}, "only used with SASL_SSL"),
])
def test_contradictory_settings_stop_the_service_at_startup(
        monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], complaint: str) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(KafkaSecurityError, match=complaint):
        KafkaSecuritySettings().resolve()
