"""Creating and listing ACLs on a cluster, with the admin's credentials.

aiokafka's admin client has no ACL methods, but aiokafka ships the CreateAcls and DescribeAcls
protocol messages; they are sent here at version 1 (Kafka 2.0+, still served by 4.x), one
request for the whole set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest_v1
from aiokafka.protocol.api import Request

from shared.infra.acls import AclBinding, Operation, PatternType, ResourceType
from shared.messaging.security import KafkaSecurity, options

# Kafka's wire codes (org.apache.kafka.common.resource / .acl)
RESOURCE_TYPES: dict[ResourceType, int] = {"TOPIC": 2, "GROUP": 3, "CLUSTER": 4}
PATTERN_TYPES: dict[PatternType, int] = {"LITERAL": 3, "PREFIXED": 4}
OPERATIONS: dict[Operation, int] = {"READ": 3, "WRITE": 4, "CREATE": 5, "DESCRIBE": 8,
                                    "IDEMPOTENT_WRITE": 12}
ALLOW = 3
ANY = 1  # as a filter: any resource type, pattern type, operation or permission


# aiokafka is untyped here (Any), hence the ignores on subclassing its Request.
class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self._creations = creations

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._creations)


class _DescribeAllAcls(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 29

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]
              ) -> DescribeAclsRequest_v1:
        # resource type, name, pattern, principal, host, operation, permission: any
        return request_struct_class(ANY, None, ANY, None, None, ANY, ANY)


async def _send(bootstrap: str, security: KafkaSecurity | None, request: Request[Any]) -> Any:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="runway-kafka-acls",
                            **options(security))
    await client.bootstrap()
    try:
        return (await client.send(client.get_random_node(), request)).to_object()
    finally:
        await client.close()


async def create_acls(bootstrap: str, acls: Sequence[AclBinding],
                      security: KafkaSecurity | None) -> None:
    """Add the ALLOW rules (a rule that exists already is left as it is)."""
    if not acls:
        return
    creations = [(RESOURCE_TYPES[a.resource_type], a.resource_name,
                  PATTERN_TYPES[a.pattern_type], a.principal, "*", OPERATIONS[a.operation],
                  ALLOW) for a in acls]
    response = await _send(bootstrap, security, _CreateAcls(creations))
    for acl, outcome in zip(acls, response["creation_responses"], strict=True):
        if outcome["error_code"]:
            raise for_code(outcome["error_code"])(
                f"{acl}: {outcome['error_message'] or 'refused'}")


async def describe_acls(bootstrap: str, security: KafkaSecurity | None) -> list[AclBinding]:
    """Every ALLOW rule on the cluster that this module can express."""
    response = await _send(bootstrap, security, _DescribeAllAcls())
    if response["error_code"]:
        raise for_code(response["error_code"])(response["error_message"] or "DescribeAcls")
    types = {code: name for name, code in RESOURCE_TYPES.items()}
    patterns = {code: name for name, code in PATTERN_TYPES.items()}
    operations = {code: name for name, code in OPERATIONS.items()}
    found = []
    for resource in response["resources"]:
        resource_type = types.get(resource["resource_type"])
        pattern = patterns.get(resource["resource_pattern_type"])
        for acl in resource["acls"]:
            operation = operations.get(acl["operation"])
            if (resource_type is None or pattern is None or operation is None
                    or acl["permission_type"] != ALLOW or acl["host"] != "*"):
                continue
            found.append(AclBinding(acl["principal"], resource_type, pattern,
                                    resource["resource_name"], operation))
    return sorted(found)
