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


def unreadable(requests: list[dict[str, Any]], kind: str) -> dict[int, list[dict[str, Any]]]:
    """A CSV row's yes/no cells that are neither yes nor no, by row: such a row is answered
    here, on its row and column, and not sent (its cell is never guessed). JSON and YAML
    say true and false themselves, and intake reads them."""
    if kind != "csv":
        return {}
    found = {}
    for index, request in enumerate(requests):
        problems = submission.unreadable_answers(request)
        if problems:
            found[index] = [{**p, "loc": ["body", "requests", index, *p["loc"][1:]]}
                            for p in problems]
    return found


def merged(answer: dict[str, Any] | None, sent: list[int],
           refused: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """Intake's answer to the rows sent (`sent`: each one's row in the batch), with the rows
    refused here: one result per row, in the batch's order."""
    answer = answer or {"created": 0, "failed": 0, "results": []}
    results = []
    for result in answer.get("results", []):
        index = result.get("index")
        if isinstance(index, int) and 0 <= index < len(sent):
            result = {**result, "index": sent[index]}
        results.append(result)
    results += [{"index": index, "outcome": "invalid", "errors": problems}
                for index, problems in refused.items()]
    results.sort(key=lambda r: (r.get("index") is None, r.get("index") or 0))
    return {**answer, "failed": answer.get("failed", 0) + len(refused), "results": results}


def field_of(problem: dict[str, Any]) -> str:
    """Where in its request a batch item's problem is: body.requests.3.person.given_names ->
    person.given_names."""
    loc = [str(part) for part in problem.get("loc", [])]
    if loc[:2] == ["body", "requests"]:
        loc = loc[3:]
    return ".".join(loc)
