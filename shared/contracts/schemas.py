"""JSON Schema 2020-12 of every payload version, from the pydantic models.

The published schemas have an open content model: `additionalProperties: false` is removed, so
a consumer validating with a schema keeps accepting messages after a compatible revision adds
an optional field (consumers ignore fields they don't know; contracts/VERSIONING.md).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from .registry import Message, model_doc

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# An identifier, not a download location: the files are contracts/schemas/ in the repository.
BASE_URI = "https://runway.example/contracts/schemas/"

Schema = dict[str, Any]


def event_schema(message: Message) -> Schema:
    body = _open(message.model.model_json_schema(mode="serialization"))
    body.pop("title", None)
    body.pop("description", None)
    doc = model_doc(message.model)
    about = (f"Payload (CloudEvents data) of {message.ce_type}, published by the "
             f"{message.service} service on {message.topic}." + ("" if message.current else
                               " No longer produced: older events still carry it."))
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + message.schema_file,
        "title": message.ce_type,
        "description": f"{inspect.cleandoc(doc)}\n\n{about}" if doc else about,
        **body,
    }


def _open(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _open(v) for k, v in node.items()
                if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_open(v) for v in node]
    return node


# --- compatibility ------------------------------------------------------------------------

def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """How `new` would fail readers or data of `old` (the same event type and version).

    Covers what the rule in contracts/VERSIONING.md forbids within a version: a field removed,
    a field newly required, a type, format or nullability changed, an enum value added or
    removed. Compatible changes (an optional field added, descriptions) return nothing."""
    return list(_compare(old, old, new, new, "payload"))


# Keywords whose change alters which values are valid (in either direction).
_VALUE_KEYWORDS = ("type", "format", "const", "pattern", "minLength", "maxLength", "minimum",
                   "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems")


def _resolve(root: Schema, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        name = ref.removeprefix("#/$defs/")
        node = {**root.get("$defs", {}).get(name, {}), **{k: v for k, v in node.items()
                                                           if k != "$ref"}}
    return node


def _nullable(node: Any) -> tuple[bool, Any]:
    """(accepts null, the schema of the non-null values)."""
    branches = node.get("anyOf") if isinstance(node, dict) else None
    if not isinstance(branches, list):
        return False, node
    values = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
    rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
    return len(values) < len(branches), ({**values[0], **rest} if len(values) == 1 else node)


def _compare(old_root: Schema, old: Any, new_root: Schema, new: Any, path: str
             ) -> Iterator[str]:
    old_null, old = _nullable(_resolve(old_root, old))
    new_null, new = _nullable(_resolve(new_root, new))
    old, new = _resolve(old_root, old), _resolve(new_root, new)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    if old_null != new_null:
        yield f"{path}: {'no longer accepts' if old_null else 'now accepts'} null"
    for key in _VALUE_KEYWORDS:
        if old.get(key) != new.get(key):
            yield f"{path}: {key} changed from {old.get(key)!r} to {new.get(key)!r}"
    if "enum" in old or "enum" in new:
        removed = [v for v in old.get("enum", []) if v not in new.get("enum", [])]
        added = [v for v in new.get("enum", []) if v not in old.get("enum", [])]
        if removed:
            yield f"{path}: enum values removed: {removed}"
        if added:
            yield f"{path}: enum values added: {added}"
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            yield f"{path}.{name}: field removed"
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        yield f"{path}.{name}: field is now required"
    for name in old_props:
        if name in new_props:
            yield from _compare(old_root, old_props[name], new_root, new_props[name],
                                f"{path}.{name}")
    if "items" in old and "items" in new:
        yield from _compare(old_root, old["items"], new_root, new["items"], f"{path}[]")
