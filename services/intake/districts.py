"""The 94 US federal judicial districts, by the abbreviations prosecutors use (EDNY, SDCA, DDC).

States with one district are "D" + state (DAZ, DNJ, DDC); the others prefix the district's
direction (N, S, E, W, C, M) + "D" + state.
"""

from __future__ import annotations

_DIVIDED = {
    "AL": "NMS", "AR": "EW", "CA": "NECS", "FL": "NMS", "GA": "NMS", "IL": "NCS", "IN": "NS",
    "IA": "NS", "KY": "EW", "LA": "EMW", "MI": "EW", "MS": "NS", "MO": "EW", "NY": "NSEW",
    "NC": "EMW", "OH": "NS", "OK": "NEW", "PA": "EMW", "TN": "EMW", "TX": "NSEW", "WA": "EW",
    "WV": "NS", "WI": "EW",
}
_SINGLE = ("AK", "AZ", "CO", "CT", "DE", "DC", "HI", "ID", "KS", "ME", "MD", "MA", "MN", "MT",
           "NE", "NV", "NH", "NJ", "NM", "ND", "OR", "RI", "SC", "SD", "UT", "VT", "WY", "PR",
           "GU", "VI", "MP")


def _districts() -> frozenset[str]:
    codes = {f"D{state}" for state in _SINGLE}
    # Virginia's two districts are Eastern and Western.
    codes |= {f"{d}DVA" for d in "EW"}
    for state, directions in _DIVIDED.items():
        codes |= {f"{d}D{state}" for d in directions}
    return frozenset(codes)


US_DISTRICTS = _districts()
