"""Each service's Kafka ACLs, derived from contracts/topics.yaml and the services' consumers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.infra import cli
from shared.infra.acls import (
    AclBinding,
    AclDerivationError,
    KafkaUse,
    declared_uses,
    derive_acls,
)
from shared.messaging.topics import load_topics
from shared.topology import SERVICES


def acls_of(acls: list[AclBinding], service: str, operation: str) -> set[str]:
    return {a.resource_name for a in acls
            if a.principal == f"User:{service}" and a.operation == operation}


@pytest.fixture(scope="module")
def derived() -> list[AclBinding]:
    return derive_acls(load_topics(), declared_uses())


def test_every_service_writes_and_creates_exactly_its_own_two_topics(
        derived: list[AclBinding]) -> None:
    for service in SERVICES:
        own = {f"runway.{service}.events", f"runway.{service}.deadletter"}
        assert acls_of(derived, service, "WRITE") == own
        assert acls_of(derived, service, "CREATE") == own
    assert {a.principal for a in derived} == {f"User:{s}" for s in SERVICES}


def test_services_read_the_topics_their_consumers_subscribe_to(
        derived: list[AclBinding]) -> None:
    assert acls_of(derived, "judicial", "READ") == {"runway.intake.events",
                                                    "runway.transport.events", "judicial."}
    assert acls_of(derived, "transport", "READ") == {
        "runway.intake.events", "runway.judicial.events", "runway.assurance.events",
        "transport."}
    # intake keeps every case's timeline, so it reads every service's events, its own too
    assert acls_of(derived, "intake", "READ") == {
        f"runway.{s}.events" for s in SERVICES} | {"intake."}


def test_a_service_may_use_only_consumer_groups_named_after_it(
        derived: list[AclBinding]) -> None:
    groups = [a for a in derived if a.resource_type == "GROUP"]
    assert {(a.principal, a.pattern_type, a.resource_name, a.operation) for a in groups} == {
        (f"User:{s}", "PREFIXED", f"{s}.", "READ") for s in SERVICES}


def test_nothing_is_granted_on_the_cluster_or_by_prefix_on_topics(
        derived: list[AclBinding]) -> None:
    assert not [a for a in derived if a.resource_type == "CLUSTER"]
    assert not [a for a in derived if a.resource_type == "TOPIC" and a.pattern_type != "LITERAL"]


def test_every_name_carries_the_namespace() -> None:
    acls = derive_acls(load_topics(namespace="blue"), declared_uses("blue"), "blue")
    assert acls
    assert all(a.resource_name.startswith("blue.") for a in acls)
    assert acls_of(acls, "court", "WRITE") == {"blue.runway.court.events",
                                               "blue.runway.court.deadletter"}


def test_a_consumer_group_outside_the_services_prefix_is_refused() -> None:
    use = KafkaUse("judicial", consumes=("runway.intake.events",), groups=("intake-reader",))
    with pytest.raises(AclDerivationError, match="judicial"):
        derive_acls(load_topics(), [use])


def test_consuming_an_undeclared_topic_is_refused() -> None:
    use = KafkaUse("judicial", consumes=("runway.elsewhere.events",), groups=("judicial.x",))
    with pytest.raises(AclDerivationError, match=r"runway\.elsewhere\.events"):
        derive_acls(load_topics(), [use])


def test_the_cli_prints_the_acls_as_a_table_and_as_json(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNWAY_TOPIC_NAMESPACE", raising=False)
    with pytest.raises(SystemExit) as exit_code:
        cli.main(["kafka-acls", "--namespace", "blue", "--json"])
    assert exit_code.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert {"principal": "User:transport", "resource_type": "TOPIC", "pattern_type": "LITERAL",
            "resource_name": "blue.runway.transport.events", "operation": "WRITE",
            "permission": "ALLOW", "host": "*"} in printed

    with pytest.raises(SystemExit):
        cli.main(["kafka-acls"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["PRINCIPAL", "OPERATION", "RESOURCE", "PATTERN", "NAME"]
    assert ["User:judicial", "READ", "TOPIC", "LITERAL", "runway.intake.events"] in rows
    assert len(rows) == 1 + len(derive_acls(load_topics(), declared_uses()))


def test_the_kafka_security_page_shows_the_derived_acls(derived: list[AclBinding]) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "kafka-security.md").read_text()
    block = page.split("<!-- kafka-acls:begin")[1].split("<!-- kafka-acls:end -->")[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in block.splitlines() if line.startswith("| `")]

    def names(cell: str) -> set[str]:
        return {n.strip(" `") for n in cell.split(",")}

    shown = {names(user).pop(): (names(writes), names(reads), names(groups))
             for user, writes, reads, groups in rows}
    assert shown == {
        service: (acls_of(derived, service, "WRITE"),
                  acls_of(derived, service, "READ") - {f"{service}."},
                  {f"{service}.*"})
        for service in SERVICES}
