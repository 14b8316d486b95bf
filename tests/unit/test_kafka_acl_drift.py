"""What `runway-infra kafka-acls --check` reports: the cluster's ACLs against the derived ones,
both ways, with every rule it cannot express counted as one too many."""

from __future__ import annotations

import pytest

from shared.infra.acls import AclBinding
from shared.infra.cluster_acls import (
    OPERATIONS,
    ClusterAcl,
    cluster_acl_table,
    drift,
)

WRITE_OWN = AclBinding("User:intake", "TOPIC", "LITERAL", "runway.intake.events", "WRITE")
READ_GROUPS = AclBinding("User:intake", "GROUP", "PREFIXED", "intake.", "READ")
DERIVED = [WRITE_OWN, READ_GROUPS]

# TOPIC=2, GROUP=3, CLUSTER=4; LITERAL=3, PREFIXED=4; ALL=2, READ=3, WRITE=4, ALTER=7; DENY=2,
# ALLOW=3 (Kafka's codes)
NOT_REPRESENTABLE = {
    "a DENY rule": ClusterAcl("User:intake", 2, 3, "runway.court.events", 3, 2, "*"),
    "operation ALL": ClusterAcl("User:judicial", 2, 4, "runway.", 2, 3, "*"),
    "operation ALTER on the cluster": ClusterAcl("User:court", 4, 3, "kafka-cluster", 7, 3, "*"),
    "one host only": ClusterAcl("User:intake", 2, 3, "runway.intake.events", 4, 3, "10.0.0.7"),
    "a code newer than this Kafka": ClusterAcl("User:intake", 2, 3, "runway.intake.events",
                                               99, 3, "*"),
}


def test_a_cluster_holding_exactly_the_derived_acls_is_clean() -> None:
    found = drift(DERIVED, [ClusterAcl.of(a) for a in DERIVED])
    assert found.clean
    assert (found.missing, found.extra) == ([], [])


def test_a_derived_acl_the_cluster_lacks_is_missing() -> None:
    found = drift(DERIVED, [ClusterAcl.of(READ_GROUPS)])
    assert found.missing == [WRITE_OWN]
    assert found.extra == []
    assert not found.clean


def test_an_allow_rule_nothing_derives_is_extra() -> None:
    judicial_writes_intakes_topic = ClusterAcl.of(
        AclBinding("User:judicial", "TOPIC", "LITERAL", "runway.intake.events", "WRITE"))
    found = drift(DERIVED, [*map(ClusterAcl.of, DERIVED), judicial_writes_intakes_topic])
    assert found.extra == [judicial_writes_intakes_topic]
    assert found.missing == []


@pytest.mark.parametrize("kind", sorted(NOT_REPRESENTABLE))
def test_a_rule_of_a_kind_runway_never_grants_is_extra(kind: str) -> None:
    rule = NOT_REPRESENTABLE[kind]
    assert rule.binding() is None
    found = drift(DERIVED, [*map(ClusterAcl.of, DERIVED), rule])
    assert found.extra == [rule]
    assert not found.clean


def test_a_rule_that_differs_from_a_derived_one_only_in_host_does_not_stand_in_for_it() -> None:
    same_but_one_host = ClusterAcl("User:intake", 2, 3, "runway.intake.events", 4, 3, "10.0.0.7")
    found = drift(DERIVED, [ClusterAcl.of(READ_GROUPS), same_but_one_host])
    assert found.missing == [WRITE_OWN]
    assert found.extra == [same_but_one_host]


def test_the_table_names_every_field_of_every_extra_rule() -> None:
    rows = [line.split() for line in
            cluster_acl_table(sorted(NOT_REPRESENTABLE.values())).splitlines()]
    assert rows[0] == ["PERMISSION", "PRINCIPAL", "OPERATION", "RESOURCE", "PATTERN", "HOST",
                       "NAME"]
    assert ["DENY", "User:intake", "READ", "TOPIC", "LITERAL", "*",
            "runway.court.events"] in rows
    assert ["ALLOW", "User:judicial", "ALL", "TOPIC", "PREFIXED", "*", "runway."] in rows
    assert ["ALLOW", "User:court", "ALTER", "CLUSTER", "LITERAL", "*", "kafka-cluster"] in rows
    assert ["ALLOW", "User:intake", "WRITE", "TOPIC", "LITERAL", "10.0.0.7",
            "runway.intake.events"] in rows
    assert ["ALLOW", "User:intake", "code", "99", "TOPIC", "LITERAL", "*",
            "runway.intake.events"] in rows


def test_a_derived_rule_survives_the_round_trip_through_the_clusters_form() -> None:
    for binding in DERIVED:
        assert ClusterAcl.of(binding).binding() == binding
    assert OPERATIONS[ClusterAcl.of(WRITE_OWN).operation] == "WRITE"
