"""The case list's search, filters, order and pages, over the cases intake lists.

Pure: the page hands in every case intake answered and the query from the URL; intake's list
API has no text search, counts or sorting, so they are done here (docs/console.md says up to
how many cases that is reasonable).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

FILTERS = ("status", "clearance", "legal_basis", "requesting_district")
# Flagged: custody passed to the US without death-penalty clearance (assurance flags the
# transfer for auditors); the page marks each case from assurance's list of flagged ones.
FLAGGED = ("yes", "no")
# Columns the list can be ordered by, and the field each reads.
SORTS = {"name": "full_name", "reference": "request_reference", "status": "status",
         "basis": "legal_basis", "district": "requesting_district",
         "clearance": "clearance", "submitted": "submitted_at", "updated": "updated_at"}
DEFAULT_SORT = "updated"


@dataclass(frozen=True)
class CaseQuery:
    q: str = ""
    status: str = ""
    clearance: str = ""
    legal_basis: str = ""
    requesting_district: str = ""
    flagged: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1

    @classmethod
    def of(cls, params: dict[str, str]) -> CaseQuery:
        sort = params.get("sort", DEFAULT_SORT)
        sort = sort if sort in SORTS else DEFAULT_SORT
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 1
        return cls(q=params.get("q", "").strip(),
                   **{name: params.get(name, "").strip() for name in FILTERS},
                   flagged=params.get("flagged", "") if params.get("flagged") in FLAGGED
                   else "",
                   sort=sort,
                   descending=params.get("order", "desc" if sort == DEFAULT_SORT else "asc")
                   == "desc", page=page)

    def url(self, **changes: Any) -> str:
        """/cases with this query, changed (a new filter or order starts again at page 1)."""
        changed = replace(self, **changes)
        params = {"q": changed.q, **{name: getattr(changed, name) for name in FILTERS},
                  "flagged": changed.flagged,
                  "sort": changed.sort, "order": "desc" if changed.descending else "asc",
                  "page": str(changed.page)}
        return "/cases?" + urlencode({k: v for k, v in params.items() if v})

    def ordered_by(self, column: str) -> str:
        """The link of a column header: by that column, or the other way if it already is."""
        if column == self.sort:
            return self.url(descending=not self.descending, page=1)
        return self.url(sort=column, descending=column in ("updated", "submitted"), page=1)


@dataclass(frozen=True)
class CasePage:
    cases: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    counts: list[tuple[str, int]]        # per status, over every case
    flagged: int                         # flagged cases, over every case
    choices: dict[str, list[str]]        # the values each filter can take, from the cases


def select(cases: Sequence[dict[str, Any]], query: CaseQuery, page_size: int) -> CasePage:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    choices = {name: sorted({str(c[name]) for c in cases if c.get(name)}) for name in FILTERS}
    found = [c for c in cases if _matches(c, query)]
    field = SORTS[query.sort]
    # Blank values last whichever the direction: a list sorted by reference shows the cases
    # that have one first.
    present = [c for c in found if c.get(field)]
    blank = [c for c in found if not c.get(field)]
    present.sort(key=lambda c: (str(c[field]).casefold(), c["case_id"]),
                 reverse=query.descending)
    found = present + blank
    pages = max(1, math.ceil(len(found) / page_size))
    page = min(max(1, query.page), pages)
    start = (page - 1) * page_size
    return CasePage(found[start:start + page_size], len(found), page, pages,
                    sorted(counts.items()), sum(1 for c in cases if c.get("flagged")), choices)


def _matches(case: dict[str, Any], query: CaseQuery) -> bool:
    for name in FILTERS:
        wanted = getattr(query, name)
        if wanted and case.get(name) != wanted:
            return False
    if query.flagged and bool(case.get("flagged")) != (query.flagged == "yes"):
        return False
    words = query.q.casefold().split()
    haystack = " ".join(str(case.get(k) or "") for k in
                        ("full_name", "request_reference", "case_id")).casefold()
    return all(word in haystack for word in words)
