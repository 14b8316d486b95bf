"""Extradition requests as operators submit them, for tests and the demo scenario."""

from __future__ import annotations

from typing import Any


def charge(charge_id: str = "c1", *, capital: bool = False, us_years: float | None = 20,
           mx_years: float | None = 15, life: bool = False) -> dict[str, Any]:
    return {
        "charge_id": charge_id,
        "statute": "21 U.S.C. § 848" if not capital else "18 U.S.C. § 1114",
        "description": "continuing criminal enterprise" if not capital
        else "murder of a federal officer",
        "max_penalty_us": {"years": us_years, "life": life or capital},
        "mx_equivalent_offence": "delincuencia organizada" if not capital else "homicidio",
        "max_penalty_mx": {"years": mx_years},
        "death_penalty_possible": capital,
        "death_penalty_law": "18 U.S.C. § 3591" if capital else None,
    }


def request(*, basis: str = "treaty", capital: bool = False, district: str = "EDNY",
            given: str = "Abigael", family: str = "González Valencia",
            reference: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {"given_names": given, "family_names": family, "aliases": ["El Cuini"],
                   "date_of_birth": "1979-05-15", "nationality": "Mexican"},
        "legal_basis": basis,
        "requesting_district": district,
        "prosecutor_office": "US Attorney's Office",
        "charges": [charge("c1"), *([charge("c2", capital=True)] if capital else [])],
        "documents": [{"kind": "arrest_warrant", "reference": "WAR-2025-001"},
                      {"kind": "diplomatic_note", "reference": "DN-2025-0042"}],
    }
    if basis == "national_security":
        body["documents"] = []
        body["us_request_reference"] = "DOJ-OIA-2025-NS-12"
    if basis == "simplified":
        body["documents"].append({"kind": "consent_statement", "reference": "CS-1"})
    if reference:
        body["request_reference"] = reference
    body.update(overrides)
    return body


async def assert_refused_filter(client: Any, path: str, parameter: str, value: str) -> None:
    """A list filter no record can match is a 422 in the one error shape, naming the
    parameter (not a 200 with an empty list)."""
    response = await client.get(path, params={parameter: value})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert [p["loc"] for p in body["detail"]] == [["query", parameter]]
