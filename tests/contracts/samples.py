"""Payload samples built from a JSON Schema: a fixed minimal and full one, and a hypothesis
strategy, covering the subset of JSON Schema that pydantic emits for Runway's models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]


def _resolve(root: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        target = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def example(root: Schema, node: Schema | None = None, *, full: bool) -> Any:
    """A valid value: `full` fills every optional field, else only the required ones (and
    nullable values are null)."""
    node = _resolve(root, root if node is None else node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][-1 if full else 0]
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        if not full and len(branches) < len(node["anyOf"]):
            return None
        return example(root, branches[0], full=full)
    kind = node.get("type")
    if kind == "object":
        required = set(node.get("required", []))
        return {name: example(root, sub, full=full)
                for name, sub in node.get("properties", {}).items()
                if full or name in required}
    if kind == "array":
        count = max(node.get("minItems", 0), 1 if full else 0)
        return [example(root, node.get("items", {}), full=full) for _ in range(count)]
    if kind == "string":
        if node.get("format") == "date":
            return "2025-08-14"
        if node.get("format") == "date-time":
            return "2025-08-14T10:30:00Z"
        return "x" * max(node.get("minLength", 0), 3 if full else 1)
    if kind == "integer":
        return int(node.get("minimum", 1))
    if kind == "number":
        return float(node.get("minimum", 0.5))
    if kind == "boolean":
        return full
    if kind == "null":
        return None
    raise ValueError(f"no example for schema {node}")


def strategy(root: Schema, node: Schema | None = None) -> st.SearchStrategy[Any]:
    """Random valid values of the schema."""
    node = _resolve(root, root if node is None else node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of([strategy(root, branch) for branch in node["anyOf"]])
    kind = node.get("type")
    if kind == "object":
        return _object(root, node)
    if kind == "array":
        return st.lists(strategy(root, node.get("items", {})),
                        min_size=node.get("minItems", 0), max_size=node.get("maxItems", 3))
    if kind == "string":
        return _string(node)
    if kind == "integer":
        return st.integers(min_value=node.get("minimum", -10**6),
                           max_value=node.get("maximum", 10**6))
    if kind == "number":
        return st.floats(min_value=node.get("minimum", -1e6), max_value=node.get("maximum", 1e6),
                         allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"no strategy for schema {node}")


def _object(root: Schema, node: Schema) -> st.SearchStrategy[dict[str, Any]]:
    required = set(node.get("required", []))
    fields = {name: strategy(root, sub) for name, sub in node.get("properties", {}).items()}
    return st.fixed_dictionaries(
        {k: v for k, v in fields.items() if k in required},
        optional={k: v for k, v in fields.items() if k not in required})


def _string(node: Schema) -> st.SearchStrategy[str]:
    if node.get("format") == "date":
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)).map(
            date.isoformat)
    if node.get("format") == "date-time":
        return st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                            timezones=st.just(UTC)).map(lambda d: d.isoformat())
    if "pattern" in node:
        return st.from_regex(str(node["pattern"]), fullmatch=True)
    return st.text(min_size=node.get("minLength", 0), max_size=node.get("maxLength", 40))
