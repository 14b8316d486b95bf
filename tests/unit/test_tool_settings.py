"""The tools' environment, read through settings classes (pydantic-settings) like the
services': defaults, what wins, and a bad value named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.cli.settings import CliSettings
from shared.messaging.kafka import KafkaSettings, default_bootstrap
from shared.messaging.topics import load_topics
from shared.settings import ToolSettings


def test_kafka_port_names_the_local_broker_and_bootstrap_servers_win(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("KAFKA_PORT", raising=False)
    assert default_bootstrap() == "127.0.0.1:9092"
    assert not KafkaSettings().port_configured
    monkeypatch.setenv("KAFKA_PORT", "19092")
    assert default_bootstrap() == "127.0.0.1:19092"
    assert KafkaSettings().port_configured
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9093,kafka-2:9093")
    assert default_bootstrap() == "kafka-1:9093,kafka-2:9093"


def test_an_empty_bootstrap_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "")
    monkeypatch.setenv("KAFKA_PORT", "19092")
    assert default_bootstrap() == "127.0.0.1:19092"


def test_topic_partitions_come_from_the_environment_else_the_declaration(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWAY_TOPIC_PARTITIONS", "5")
    assert {t.partitions for t in load_topics()} == {5}
    monkeypatch.setenv("RUNWAY_TOPIC_PARTITIONS", "")
    assert {t.partitions for t in load_topics()} == {6}  # contracts/topics.yaml


def test_a_bad_value_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWAY_PORT_OFFSET", "-5")
    with pytest.raises(ValidationError, match="RUNWAY_PORT_OFFSET"):
        ToolSettings()
    monkeypatch.setenv("RUNWAY_PORT_OFFSET", "0")
    monkeypatch.setenv("RUNWAY_TOPIC_NAMESPACE", "no spaces allowed")
    with pytest.raises(ValidationError, match="RUNWAY_TOPIC_NAMESPACE"):
        ToolSettings()


def test_the_cli_actor_defaults_to_the_login_and_any_debug_value_turns_debug_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNWAY_ACTOR", raising=False)
    monkeypatch.setenv("USER", "maria")
    monkeypatch.setenv("RUNWAY_DEBUG", "yes please")
    settings = CliSettings()
    assert settings.default_actor == "maria"
    assert settings.debug
    monkeypatch.setenv("RUNWAY_ACTOR", "desk-7")
    monkeypatch.setenv("RUNWAY_DEBUG", "")
    assert CliSettings().default_actor == "desk-7"
    assert not CliSettings().debug
