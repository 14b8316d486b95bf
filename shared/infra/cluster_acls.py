"""ACLs as a cluster holds them, and how they differ from the derived ones.

A cluster may hold any ACL at all: DENY rules, operation ALL, a host other than "*", resource
types Runway never grants. `ClusterAcl` keeps whatever Kafka reports, by its wire codes, so that
`drift` can name every rule beyond the derived set, including the ones an `AclBinding` cannot
express: each of those grants (or takes) something no service declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast, get_args

from shared.infra.acls import AclBinding, Operation, PatternType, ResourceType, text_table

# Kafka's codes (org.apache.kafka.common.resource.ResourceType / PatternType,
# org.apache.kafka.common.acl.AclOperation / AclPermissionType, as of Kafka 4.1)
RESOURCE_TYPES = {0: "UNKNOWN", 1: "ANY", 2: "TOPIC", 3: "GROUP", 4: "CLUSTER",
                  5: "TRANSACTIONAL_ID", 6: "DELEGATION_TOKEN", 7: "USER"}
PATTERN_TYPES = {0: "UNKNOWN", 1: "ANY", 2: "MATCH", 3: "LITERAL", 4: "PREFIXED"}
OPERATIONS = {0: "UNKNOWN", 1: "ANY", 2: "ALL", 3: "READ", 4: "WRITE", 5: "CREATE",
              6: "DELETE", 7: "ALTER", 8: "DESCRIBE", 9: "CLUSTER_ACTION",
              10: "DESCRIBE_CONFIGS", 11: "ALTER_CONFIGS", 12: "IDEMPOTENT_WRITE",
              13: "CREATE_TOKENS", 14: "DESCRIBE_TOKENS", 15: "TWO_PHASE_COMMIT"}
PERMISSIONS = {0: "UNKNOWN", 1: "ANY", 2: "DENY", 3: "ALLOW"}
ANY = 1  # in a filter: any resource type, pattern type, operation or permission
ALLOW = 3
ALL_HOSTS = "*"


def _code(table: dict[int, str], name: str) -> int:
    return next(code for code, known in table.items() if known == name)


def _name(table: dict[int, str], code: int) -> str:
    """The code's name; a code this table does not know (a newer Kafka's) stays visible."""
    return table.get(code, f"code {code}")


@dataclass(frozen=True, order=True)
class ClusterAcl:
    """One ACL exactly as the cluster reports it."""

    principal: str
    resource_type: int
    pattern_type: int
    resource_name: str
    operation: int
    permission: int
    host: str

    @classmethod
    def of(cls, binding: AclBinding) -> ClusterAcl:
        return cls(binding.principal, _code(RESOURCE_TYPES, binding.resource_type),
                   _code(PATTERN_TYPES, binding.pattern_type), binding.resource_name,
                   _code(OPERATIONS, binding.operation), ALLOW, ALL_HOSTS)

    def binding(self) -> AclBinding | None:
        """The derived kind of rule this is, or None if it is not of that kind (not ALLOW, not
        from every host, or a resource, pattern or operation Runway never grants)."""
        resource = _name(RESOURCE_TYPES, self.resource_type)
        pattern = _name(PATTERN_TYPES, self.pattern_type)
        operation = _name(OPERATIONS, self.operation)
        if (self.permission != ALLOW or self.host != ALL_HOSTS
                or resource not in get_args(ResourceType)
                or pattern not in get_args(PatternType)
                or operation not in get_args(Operation)):
            return None
        return AclBinding(self.principal, cast(ResourceType, resource),
                          cast(PatternType, pattern), self.resource_name,
                          cast(Operation, operation))

    def row(self) -> tuple[str, ...]:
        return (_name(PERMISSIONS, self.permission), self.principal,
                _name(OPERATIONS, self.operation), _name(RESOURCE_TYPES, self.resource_type),
                _name(PATTERN_TYPES, self.pattern_type), self.host, self.resource_name)


@dataclass(frozen=True)
class AclDrift:
    """Derived ACLs the cluster lacks, and cluster ACLs nothing derives."""

    missing: list[AclBinding]
    extra: list[ClusterAcl]

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


def drift(derived: Iterable[AclBinding], on_cluster: Iterable[ClusterAcl]) -> AclDrift:
    """How the cluster's ACLs differ from the derived set, both ways."""
    wanted = set(derived)
    present = list(on_cluster)
    held = {acl.binding() for acl in present}
    return AclDrift(missing=sorted(wanted - held),
                    extra=sorted(acl for acl in present if acl.binding() not in wanted))


def cluster_acl_table(acls: Sequence[ClusterAcl]) -> str:
    """Cluster ACLs as an aligned text table, one rule a line, every field shown."""
    return text_table(("PERMISSION", "PRINCIPAL", "OPERATION", "RESOURCE", "PATTERN", "HOST",
                       "NAME"), [acl.row() for acl in acls])
