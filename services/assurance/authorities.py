"""Which prosecution a DOJ commitment binds, as an officer types it: the federal one or a US
state's.

The answer decides which capital counts the commitment can cover (coverage.commitment_covers):
`federal` binds the counts citing the U.S. Code, a state's name binds that state's own counts
(domain brief, corrections: a state prosecution needs its own commitment). Any text other than
exactly "federal" used to be taken for a state, so the DOJ's commitment entered as "Federal",
"United States" or "DOJ" cleared a California count. Both lists are closed: a text naming
neither is refused (rules.PROSECUTING_AUTHORITY_UNKNOWN), never guessed to be a state.
"""

from __future__ import annotations

FEDERAL = "federal"

# What officers write for the federal prosecution, compared without case, dots or extra
# spaces ("U.S. DOJ" is "us doj"). Missing a spelling only refuses it: the officer then
# enters "federal".
_FEDERAL_NAMES = frozenset({
    "federal", "federal government", "us", "usa", "united states",
    "united states of america", "us government", "united states government", "doj",
    "us doj", "department of justice", "us department of justice",
    "united states department of justice",
})

# The jurisdictions with their own criminal law whose prosecutors may give a commitment:
# the states, the District of Columbia and the territories.
_STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa",
    "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan",
    "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire",
    "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota",
    "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "West Virginia",
    "Wisconsin", "Wyoming", "District of Columbia", "Puerto Rico", "Guam",
    "U.S. Virgin Islands", "Northern Mariana Islands", "American Samoa",
)


def _key(text: str) -> str:
    return " ".join(text.replace(".", "").split()).casefold()


def recognised(text: str) -> str | None:
    """The authority in its one spelling (`federal`, or the state's name as listed), or None
    when the text names neither."""
    key = _key(text)
    if key in _FEDERAL_NAMES:
        return FEDERAL
    return next((state for state in _STATES if _key(state) == key), None)
