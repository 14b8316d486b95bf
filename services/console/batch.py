"""A batch of requests pasted on the submit page: JSON, YAML or CSV, sent to intake's
POST /cases/batch, which answers one result per request.

JSON and YAML hold request bodies as intake takes them (a list, or {"requests": [...]}). A CSV
row is the request form flattened: its column names are the form's field names
(person.given_names, charges.0.statute, documents.0.kind, ...), so a row reads like the form.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import yaml

from . import submission

MAX_ROWS = 500  # intake's batch limit


class BatchUnreadable(ValueError):
    """The pasted text is none of the three formats, or holds no requests; the message says
    what was wrong."""


def parse(text: str, kind: str) -> list[dict[str, Any]]:
    text = text.strip()
    if not text:
        raise BatchUnreadable("batch.empty")
    if kind == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        requests = [submission.body_of({k.strip(): (v or "") for k, v in row.items() if k})
                    for row in rows]
    else:
        try:
            loaded = json.loads(text) if kind == "json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as error:
            raise BatchUnreadable("batch.unreadable") from error
        if isinstance(loaded, dict) and isinstance(loaded.get("requests"), list):
            loaded = loaded["requests"]
        if not isinstance(loaded, list) or not all(isinstance(r, dict) for r in loaded):
            raise BatchUnreadable("batch.not_a_list")
        requests = loaded
    if not requests:
        raise BatchUnreadable("batch.empty")
    if len(requests) > MAX_ROWS:
        raise BatchUnreadable("batch.too_many")
    return requests


def field_of(problem: dict[str, Any]) -> str:
    """Where in its request a batch item's problem is: body.requests.3.person.given_names ->
    person.given_names."""
    loc = [str(part) for part in problem.get("loc", [])]
    if loc[:2] == ["body", "requests"]:
        loc = loc[3:]
    return ".".join(loc)
