"""The court's calendar: the day an instant falls on where the court sits.

A US district court dates its acts on its own calendar: an initial appearance held at 23:15 in
Los Angeles is on that day there, though it is already the next day in Mexico City, the legal
calendar of the Mexican acts and the handovers (shared/legaltime.py). So when the court
compares an instant (the landing, the initial appearance, "now") with a date a clerk gave for
one of the court's own acts, it reads the instant on the calendar of the charging district's
seat. Mexico's acts recorded here (its consent by diplomatic note) keep the legal calendar.

The table names the zone of each district's seat. A division in another zone (El Paso in
W.D. Tex., Pensacola in N.D. Fla.) is read on its seat's calendar; a district not in the table
is read on the legal calendar. The legal dates the events carry (`occurred_at`) are unchanged:
a date-only act still stands at the start of its day on the legal calendar, so the auditors'
legal-time check reads every event in one zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType

from shared.legaltime import legal_date


def _zones(rows: dict[str, tuple[str, ...]]) -> Mapping[str, str]:
    return MappingProxyType({district: zone for zone, districts in rows.items()
                             for district in districts})


# The 94 federal judicial districts, by the zone of the seat (28 U.S.C. §§ 81-131).
DISTRICT_ZONES: Mapping[str, str] = _zones({
    "America/New_York": (
        "DCT", "DDE", "DDC", "NDFL", "MDFL", "SDFL", "NDGA", "MDGA", "SDGA", "DME", "DMD",
        "DMA", "DNH", "DNJ", "NDNY", "SDNY", "EDNY", "WDNY", "EDNC", "MDNC", "WDNC", "NDOH",
        "SDOH", "EDPA", "MDPA", "WDPA", "DRI", "DSC", "EDTN", "DVT", "EDVA", "WDVA", "NDWV",
        "SDWV"),
    "America/Detroit": ("EDMI", "WDMI"),
    "America/Indiana/Indianapolis": ("NDIN", "SDIN"),
    "America/Kentucky/Louisville": ("EDKY", "WDKY"),
    "America/Chicago": (
        "NDAL", "MDAL", "SDAL", "EDAR", "WDAR", "NDIL", "CDIL", "SDIL", "NDIA", "SDIA", "DKS",
        "EDLA", "MDLA", "WDLA", "DMN", "NDMS", "SDMS", "EDMO", "WDMO", "DNE", "DND", "NDOK",
        "EDOK", "WDOK", "DSD", "MDTN", "WDTN", "NDTX", "EDTX", "SDTX", "WDTX", "EDWI", "WDWI"),
    "America/Denver": ("DCO", "DMT", "DNM", "DUT", "DWY"),
    "America/Boise": ("DID",),
    "America/Phoenix": ("DAZ",),
    "America/Los_Angeles": ("NDCA", "EDCA", "CDCA", "SDCA", "DNV", "DOR", "EDWA", "WDWA"),
    "America/Anchorage": ("DAK",),
    "Pacific/Honolulu": ("DHI",),
    "America/Puerto_Rico": ("DPR",),
    "America/St_Thomas": ("DVI",),
    "Pacific/Guam": ("DGU",),
    "Pacific/Saipan": ("DMP",),
})


def zone_of(district: str) -> str | None:
    """The zone of the district's seat; None: not in the table (the legal calendar)."""
    return DISTRICT_ZONES.get(district.upper())


def court_date(instant: datetime, district: str) -> date:
    """The day `instant` falls on in the district's court."""
    return legal_date(instant, zone_of(district))
