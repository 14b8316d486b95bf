"""Where each person flies: the airport of their charging district (configuration).

A district without an airport in the table is refused with "no_airport_for_district",
unless a fallback airport is configured (TRANSPORT_DEFAULT_AIRPORT): flying someone to the
wrong city is worse than asking an operator to add a line to the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Airport:
    code: str  # IATA, e.g. "JFK"
    city: str


def _table(rows: dict[str, tuple[str, str]]) -> Mapping[str, Airport]:
    return MappingProxyType({district: Airport(code, city)
                             for district, (code, city) in rows.items()})


# The charging district's courthouse city and its usual arrival airport for US Marshals
# flights. Only the districts we are sure of; operators add the rest by configuration.
DEFAULT_DISTRICT_AIRPORTS: Mapping[str, Airport] = _table({
    "EDNY": ("JFK", "New York"), "SDNY": ("JFK", "New York"),
    "DNJ": ("EWR", "Newark"),
    "CDCA": ("LAX", "Los Angeles"), "SDCA": ("SAN", "San Diego"),
    "NDCA": ("SFO", "San Francisco"), "EDCA": ("SMF", "Sacramento"),
    "WDTX": ("SAT", "San Antonio"), "SDTX": ("IAH", "Houston"), "NDTX": ("DFW", "Dallas"),
    "NDIL": ("ORD", "Chicago"),
    "DDC": ("IAD", "Washington"), "EDVA": ("IAD", "Washington"),
    "DMD": ("BWI", "Baltimore"),
    "SDFL": ("MIA", "Miami"), "MDFL": ("TPA", "Tampa"),
    "DAZ": ("PHX", "Phoenix"), "DNV": ("LAS", "Las Vegas"), "DCO": ("DEN", "Denver"),
    "DNM": ("ABQ", "Albuquerque"), "DUT": ("SLC", "Salt Lake City"),
    "NDGA": ("ATL", "Atlanta"),
    "DMA": ("BOS", "Boston"), "EDPA": ("PHL", "Philadelphia"),
    "WDWA": ("SEA", "Seattle"), "DOR": ("PDX", "Portland"),
    "EDMI": ("DTW", "Detroit"), "DMN": ("MSP", "Minneapolis"),
    "EDLA": ("MSY", "New Orleans"), "DPR": ("SJU", "San Juan"),
})


# Mexico's airports an aircraft of a transfer may land at when it turns back (the departure
# bases, and the international and military-capable airports along the routes north). A
# diversion is a landing in the US, where court intake opens: to one of these it is refused.
MEXICAN_AIRPORTS = frozenset({
    "ACA", "AGU", "BJX", "CEN", "CJS", "CME", "CPE", "CUL", "CUN", "CUU", "CVM", "CZM", "DGO",
    "GDL", "HMO", "HUX", "LAP", "LMM", "MAM", "MEX", "MID", "MLM", "MTY", "MXL", "MZT", "NLD",
    "NLU", "NTR", "OAX", "PBC", "PVR", "PXM", "QRO", "REX", "SJD", "SLP", "TAM", "TAP", "TGZ",
    "TIJ", "TLC", "TRC", "UPN", "VER", "VSA", "ZCL", "ZIH", "ZLO",
})


@dataclass(frozen=True)
class RouteTable:
    by_district: Mapping[str, Airport] = field(
        default_factory=lambda: DEFAULT_DISTRICT_AIRPORTS)
    fallback: Airport | None = None
    mexican_airports: frozenset[str] = MEXICAN_AIRPORTS

    def in_mexico(self, code: str) -> bool:
        return code.upper() in self.mexican_airports

    def airport_for(self, district: str | None) -> Airport | None:
        if district is None:
            return None
        return self.by_district.get(district.upper(), self.fallback)

    def districts_served(self, code: str) -> tuple[str, ...]:
        return tuple(sorted(d for d, a in self.by_district.items() if a.code == code))

    def serves(self, code: str) -> bool:
        return bool(self.districts_served(code)) or (
            self.fallback is not None and self.fallback.code == code)

    def primary_district(self, code: str) -> str | None:
        """The district a stop at this airport is listed under (the first alphabetically)."""
        served = self.districts_served(code)
        return served[0] if served else None

    def city(self, code: str) -> str | None:
        found = next((a for a in self.by_district.values() if a.code == code), None)
        if found is None and self.fallback is not None and self.fallback.code == code:
            found = self.fallback
        return None if found is None else found.city
