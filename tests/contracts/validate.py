"""Checking an event's payload against its published schema in contracts/schemas/.

For tests that see real events (the end-to-end runs):

    from tests.contracts.validate import validate_event
    validate_event(event.event_type, event.schema_version, event.payload)   # RecordedEvent
    validate_event(consumed.event_type, consumed.schema_version, consumed.data)  # off Kafka

It raises ContractViolation naming the event and every failing field when the payload does
not match: a field the schema does not declare, a missing or ill-typed one, a bad date. By
default an event must also be in the version its producer publishes now, since a fresh run
should produce no deprecated version; pass current_only=False for stored history.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


class ContractViolation(AssertionError):
    """An event that does not match its published contract."""


def validate_event(event_type: str, schema_version: int, data: Any, *,
                   current_only: bool = True) -> None:
    name = f"{event_type}.v{schema_version}"
    if name not in _published():
        raise ContractViolation(
            f"{name}: no published schema (contracts/schemas/{name}.json); declare the model "
            "in the producer's events.py and run `make contracts`")
    if current_only and _published()[name]:
        raise ContractViolation(f"{name}: this version is deprecated; its producer should "
                                "publish the current version")
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(f"  at {'/'.join(map(str, e.absolute_path)) or '(payload)'}: "
                            f"{e.message}" for e in errors[:20])
        raise ContractViolation(f"{name}: payload does not match its schema\n{details}\n"
                                f"payload: {json.dumps(data, default=str)[:2000]}")


@cache
def _published() -> dict[str, bool]:
    """ce_type -> deprecated, for every message of the AsyncAPI document."""
    document = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    return {name: bool(message.get("deprecated", False))
            for name, message in document["components"]["messages"].items()
            if (CONTRACTS / "schemas" / f"{name}.json").exists()}


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((CONTRACTS / "schemas" / f"{name}.json").read_text())
    return Draft202012Validator(closed(schema), format_checker=FormatChecker())


def closed(schema: Any) -> Any:
    """The schema without room for undeclared fields: what a producer may emit, while the
    published (open) schema is what a reader must accept."""
    if isinstance(schema, dict):
        result = {k: closed(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            result["additionalProperties"] = False
        return result
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema
