"""Each service's Kafka ACLs, derived from what the code already declares.

One source of truth each: a service writes the topics whose `producer` it is in
contracts/topics.yaml, and reads the topics of its ConsumerSpecs (services/<name>/consumers.py),
in consumer groups named after the consumer. So a service may

  * Write and Create its own topics (runway.<svc>.events, runway.<svc>.deadletter);
  * Read (which implies Describe) the topics it consumes;
  * Read its consumer groups: every group whose name starts with "<svc>.".

and nothing else: with `allow.everyone.if.no.acl.found=false` the broker refuses the rest.
Names carry the installation's topic namespace (RUNWAY_TOPIC_NAMESPACE). An idempotent producer
needs no IdempotentWrite on the cluster: since Kafka 3.0 (KIP-679) Write on any topic is enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from shared.messaging.security import KafkaSecuritySettings
from shared.messaging.topics import TopicSpec, namespaced

if TYPE_CHECKING:  # shared.service imports the web stack: only when declaring consumers
    from shared.service import ConsumerSpec

ResourceType = Literal["TOPIC", "GROUP", "CLUSTER"]
PatternType = Literal["LITERAL", "PREFIXED"]
Operation = Literal["READ", "WRITE", "CREATE", "DESCRIBE", "IDEMPOTENT_WRITE"]


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ALLOW rule: `principal` may do `operation` on the resources the pattern matches,
    from any host."""

    principal: str
    resource_type: ResourceType
    pattern_type: PatternType
    resource_name: str
    operation: Operation

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "permission": "ALLOW", "host": "*"}


@dataclass(frozen=True)
class KafkaUse:
    """What one service does on Kafka besides writing its own topics."""

    service: str
    consumes: tuple[str, ...]  # topic names, namespaced
    groups: tuple[str, ...]  # consumer group names, namespaced


class AclDerivationError(ValueError):
    """The declarations cannot be expressed as least-privilege ACLs."""


def principal(service: str) -> str:
    return f"User:{service}"


def group_prefix(service: str, namespace: str = "") -> str:
    return namespaced(namespace, f"{service}.")


def derive_acls(topics: Sequence[TopicSpec], uses: Iterable[KafkaUse],
                namespace: str = "") -> list[AclBinding]:
    """The ACLs that let each service do exactly what `topics` and `uses` declare."""
    declared = {t.name for t in topics}
    acls: set[AclBinding] = set()
    for use in uses:
        user = principal(use.service)
        for topic in (t.name for t in topics if t.producer == use.service):
            acls.add(AclBinding(user, "TOPIC", "LITERAL", topic, "WRITE"))
            acls.add(AclBinding(user, "TOPIC", "LITERAL", topic, "CREATE"))
        for topic in use.consumes:
            if topic not in declared:
                raise AclDerivationError(f"{use.service} consumes {topic}, which "
                                         "contracts/topics.yaml does not declare")
            acls.add(AclBinding(user, "TOPIC", "LITERAL", topic, "READ"))
        prefix = group_prefix(use.service, namespace)
        strays = [g for g in use.groups if not g.startswith(prefix)]
        if strays:
            raise AclDerivationError(f"{use.service}'s consumer groups {strays} do not start "
                                     f"with {prefix!r}, so no ACL of its would cover them")
        if use.groups:
            acls.add(AclBinding(user, "GROUP", "PREFIXED", prefix, "READ"))
    return sorted(acls)


def declared_uses(namespace: str = "") -> list[KafkaUse]:
    """Every service's consumed topics and consumer groups, read off its ServiceSpec."""
    return [KafkaUse(service=service,
                     consumes=tuple(sorted({t for c in consumers for t in c.topics})),
                     groups=tuple(sorted(namespaced(namespace, c.name) for c in consumers)))
            for service, consumers in declared_consumers(namespace).items()]


def declared_consumers(namespace: str = "") -> dict[str, Sequence[ConsumerSpec]]:
    """Every service's ConsumerSpecs (topics, handlers), by service.

    The consumers are declared against a runtime, so one is built per service: on an in-memory
    SQLite URL and plaintext settings, it does no I/O (nothing connects until started)."""
    from shared.infra.stack import discover_services
    from shared.service import ServiceRuntime
    from shared.settings import ServiceSettings

    declared = {}
    for spec in discover_services():
        settings = ServiceSettings(
            service_name=spec.name, service_database_url="sqlite+aiosqlite://",
            kafka_bootstrap_servers="127.0.0.1:9", topic_namespace=namespace,
            kafka_security=KafkaSecuritySettings(protocol="PLAINTEXT", username=None,
                                                 password=None, password_file=None,
                                                 ssl_cafile=None))
        declared[spec.name] = spec.consumers(ServiceRuntime(spec, settings))
    return declared


def acl_table(acls: Sequence[AclBinding]) -> str:
    """The ACLs as an aligned text table, one rule a line."""
    return text_table(("PRINCIPAL", "OPERATION", "RESOURCE", "PATTERN", "NAME"),
                      [(a.principal, a.operation, a.resource_type, a.pattern_type,
                        a.resource_name) for a in acls])


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Aligned columns, the last (a name, of any length) left ragged."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False))
                   + "  " + line[-1] + "\n" for line in lines)
