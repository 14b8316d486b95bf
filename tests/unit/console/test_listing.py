"""The case list: search, filters, order (blanks last) and pages, over intake's cases."""

from __future__ import annotations

from typing import Any

from services.console.listing import CaseQuery, select


def case(n: int, **fields: Any) -> dict[str, Any]:
    return {"case_id": f"RWY-{n}", "full_name": f"Person {n}", "request_reference": None,
            "status": "submitted", "clearance": "cleared", "legal_basis": "treaty",
            "requesting_district": "EDNY", "submitted_at": f"2025-01-{n:02d}T00:00:00Z",
            "updated_at": f"2025-02-{n:02d}T00:00:00Z", **fields}


CASES = [case(1, full_name="Rafael Caro Quintero", request_reference="OIA-9",
              legal_basis="national_security"),
         case(2, full_name="Ovidio Guzmán", status="provisional_detention", clearance="pending"),
         case(3, full_name="Abigael González Valencia", requesting_district="SDCA",
              request_reference="OIA-1"),
         case(4, full_name="[erased]")]


def ids(page: Any) -> list[str]:
    return [c["case_id"] for c in page.cases]


def test_search_matches_every_word_in_the_name_reference_or_case_id() -> None:
    assert ids(select(CASES, CaseQuery(q="caro rafael"), 10)) == ["RWY-1"]
    assert ids(select(CASES, CaseQuery(q="oia-1"), 10)) == ["RWY-3"]
    assert ids(select(CASES, CaseQuery(q="rwy-2"), 10)) == ["RWY-2"]


def test_filters_combine_and_counts_are_over_every_case() -> None:
    listed = select(CASES, CaseQuery(clearance="cleared", requesting_district="EDNY"), 10)
    assert ids(listed) == ["RWY-4", "RWY-1"]
    assert listed.counts == [("provisional_detention", 1), ("submitted", 3)]
    assert listed.choices["requesting_district"] == ["EDNY", "SDCA"]
    assert ids(select(CASES, CaseQuery(legal_basis="national_security"), 10)) == ["RWY-1"]


def test_newest_change_first_by_default_and_any_column_either_way_with_blanks_last() -> None:
    assert ids(select(CASES, CaseQuery(), 10)) == ["RWY-4", "RWY-3", "RWY-2", "RWY-1"]
    by_reference = select(CASES, CaseQuery(sort="reference", descending=False), 10)
    assert ids(by_reference) == ["RWY-3", "RWY-1", "RWY-2", "RWY-4"]
    by_reference_down = select(CASES, CaseQuery(sort="reference", descending=True), 10)
    assert ids(by_reference_down) == ["RWY-1", "RWY-3", "RWY-2", "RWY-4"]


def test_pages_hold_the_page_size_and_a_page_past_the_end_shows_the_last() -> None:
    listed = select(CASES, CaseQuery(page=9), 3)
    assert (listed.page, listed.pages, ids(listed)) == (2, 2, ["RWY-1"])


def test_the_query_survives_in_links_and_a_new_order_starts_at_page_one() -> None:
    query = CaseQuery.of({"q": "caro", "status": "submitted", "sort": "name", "page": "2"})
    assert (query.sort, query.descending, query.page) == ("name", False, 2)
    assert query.ordered_by("name") == \
        "/cases?q=caro&status=submitted&sort=name&order=desc&page=1"
    assert CaseQuery.of({"sort": "nonsense", "page": "x"}) == CaseQuery()


def test_flagged_filters_either_way_counts_over_every_case_and_stays_in_links() -> None:
    cases = [*CASES[:3], case(4, full_name="[erased]", flagged=True)]
    assert ids(select(cases, CaseQuery(flagged="yes"), 10)) == ["RWY-4"]
    assert ids(select(cases, CaseQuery(flagged="no"), 10)) == ["RWY-3", "RWY-2", "RWY-1"]
    assert select(cases, CaseQuery(status="provisional_detention"), 10).flagged == 1
    query = CaseQuery.of({"flagged": "yes"})
    assert "flagged=yes" in query.ordered_by("name")
    assert CaseQuery.of({"flagged": "maybe"}).flagged == ""
