"""Creating, listing and deleting ACLs on a cluster, with the admin's credentials.

aiokafka's admin client has no ACL methods, but aiokafka ships the CreateAcls, DescribeAcls and
DeleteAcls protocol messages; they are sent here at version 1 (Kafka 2.0+, still served by 4.x),
one request for the whole set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request

from shared.infra.acls import AclBinding
from shared.infra.cluster_acls import ANY, ClusterAcl
from shared.messaging.security import KafkaSecurity, options


def _wire(acl: ClusterAcl) -> tuple[Any, ...]:
    """The fields of one rule in the order CreateAcls and DeleteAcls v1 carry them."""
    return (acl.resource_type, acl.resource_name, acl.pattern_type, acl.principal, acl.host,
            acl.operation, acl.permission)


# aiokafka is untyped here (Any), hence the ignores on subclassing its Request. Each request
# subclasses Request[Struct] alone and states its own __init__ and build: aiokafka picks the
# wire version from that single generic base and refuses a class with a second base (a
# shared mixin) or without API_KEY (a shared parent).
class CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, acls: Sequence[ClusterAcl]) -> None:
        self._acls = acls

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class([_wire(a) for a in self._acls])


class DeleteAcls(Request[DeleteAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 31

    def __init__(self, acls: Sequence[ClusterAcl]) -> None:
        self._acls = acls

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        # one filter per rule, every field exact: it matches that rule and no other
        return request_struct_class([_wire(a) for a in self._acls])


class DescribeAllAcls(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]
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


def _raise_for(outcome: dict[str, Any], what: object) -> None:
    if outcome["error_code"]:
        raise for_code(outcome["error_code"])(f"{what}: {outcome['error_message'] or 'refused'}")


async def create_acls(bootstrap: str, acls: Sequence[AclBinding | ClusterAcl],
                      security: KafkaSecurity | None) -> None:
    """Add the rules (a rule that exists already is left as it is)."""
    if not acls:
        return
    rules = [a if isinstance(a, ClusterAcl) else ClusterAcl.of(a) for a in acls]
    response = await _send(bootstrap, security, CreateAcls(rules))
    for acl, outcome in zip(acls, response["creation_responses"], strict=True):
        _raise_for(outcome, acl)


async def delete_acls(bootstrap: str, acls: Sequence[ClusterAcl],
                      security: KafkaSecurity | None) -> None:
    """Remove exactly these rules (one that is not there is no error)."""
    if not acls:
        return
    response = await _send(bootstrap, security, DeleteAcls(acls))
    for acl, outcome in zip(acls, response["filter_responses"], strict=True):
        _raise_for(outcome, acl)


async def describe_acls(bootstrap: str, security: KafkaSecurity | None) -> list[ClusterAcl]:
    """Every rule on the cluster, whatever it says."""
    response = await _send(bootstrap, security, DescribeAllAcls())
    _raise_for(response, "DescribeAcls")
    return sorted(ClusterAcl(acl["principal"], resource["resource_type"],
                             resource["resource_pattern_type"], resource["resource_name"],
                             acl["operation"], acl["permission_type"], acl["host"])
                  for resource in response["resources"] for acl in resource["acls"])
