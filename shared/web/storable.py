"""Values Runway can store: no NUL characters, no unpaired surrogates and no non-finite
numbers, anywhere in a request.

JSON can carry all three (`"\\u0000"`, `"\\ud800"`, and Python's parser accepts `NaN`,
`Infinity` and `1e400`), a URL can carry NUL (`%00`); but PostgreSQL refuses NUL in text, an
unpaired surrogate cannot be encoded as UTF-8, and canonical JSON (the events' hash chain) has
no infinities: each would otherwise surface deep in a command, or while rendering the 422
itself, as a 500. This dependency, which every route runs before its own, answers with a 422
naming where the bad value is instead.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

Loc = tuple[str | int, ...]
BAD_TEXT = ("string_not_storable",
            "text may not contain NUL characters or unpaired surrogates")
BAD_NUMBER = ("number_not_finite", "numbers must be finite (no NaN or Infinity)")
MAX_REPORTED = 20
# No Runway request nests more than a few levels; far deeper documents only exist to exhaust
# recursive code (validation, error rendering), so they are refused up front.
MAX_DEPTH = 32


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """`text` with what cannot be encoded spelled out (`\\ud800`), safe to echo in JSON."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def echoable(value: Any) -> Any:
    """A decoded JSON value made safe to put in a JSON response."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [echoable(item) for item in value]
    if isinstance(value, dict):
        return {printable(str(k)): echoable(v) for k, v in value.items()}
    return value


def unstorable(value: Any, loc: Loc) -> Iterator[tuple[Loc, tuple[str, str], Any]]:
    """Where in `value` (a decoded JSON document) a bad value is, what is wrong, and it.
    Iterative, so no nesting depth can exhaust the interpreter's stack."""
    pending: list[tuple[Any, Loc]] = [(value, loc)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if not storable(item):
                yield where, BAD_TEXT, item
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield where, BAD_NUMBER, item
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                pending.append((child, (*where, printable(str(key)))))
                pending.append((key, where))
        elif isinstance(item, list):
            pending += [(child, (*where, index))
                        for index, child in reversed(list(enumerate(item)))]


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests lists or objects more than `limit` levels deep."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending += [(child, depth + 1) for child in children]
    return False


async def storable_values(request: Request) -> None:
    found = [*unstorable(dict(request.path_params), ("path",))]
    for name, value in request.query_params.multi_items():
        found += unstorable({name: value}, ("query",))
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and route.body_field is not None:
        # FastAPI parsed the body already (the parse is cached): look at it again. A body
        # that isn't JSON at all is left to the route's own validation.
        with contextlib.suppress(ValueError):
            body = await request.json()
            if nested_deeper_than(body, MAX_DEPTH):
                raise RequestValidationError([{
                    "type": "json_too_deep", "loc": ("body",),
                    "msg": f"JSON may nest at most {MAX_DEPTH} levels of lists and objects"}])
            found += unstorable(body, ("body",))
    if found:
        raise RequestValidationError([
            {"type": kind, "loc": loc, "msg": message, "input": echoable(bad)}
            for loc, (kind, message), bad in found[:MAX_REPORTED]])
