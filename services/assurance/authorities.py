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


# How a state's statutes are cited (Bluebook), besides the state's own name: "Cal. Penal Code
# § 187", "Tex. Penal Code Ann. § 19.03", "N.Y. Penal Law § 125.27", "W. Va. Code § 61-2-1".
_CITED_AS = {
    "Alabama": "Ala.", "Arizona": "Ariz.", "Arkansas": "Ark.", "California": "Cal.",
    "Colorado": "Colo.", "Connecticut": "Conn.", "Delaware": "Del.", "Florida": "Fla.",
    "Georgia": "Ga.", "Hawaii": "Haw.", "Illinois": "Ill.", "Indiana": "Ind.",
    "Kansas": "Kan.", "Kentucky": "Ky.", "Louisiana": "La.", "Maine": "Me.",
    "Maryland": "Md.", "Massachusetts": "Mass.", "Michigan": "Mich.", "Minnesota": "Minn.",
    "Mississippi": "Miss.", "Missouri": "Mo.", "Montana": "Mont.", "Nebraska": "Neb.",
    "Nevada": "Nev.", "New Hampshire": "N.H.", "New Jersey": "N.J.", "New Mexico": "N.M.",
    "New York": "N.Y.", "North Carolina": "N.C.", "North Dakota": "N.D.", "Oklahoma": "Okla.",
    "Oregon": "Or.", "Pennsylvania": "Pa.", "Rhode Island": "R.I.", "South Carolina": "S.C.",
    "South Dakota": "S.D.", "Tennessee": "Tenn.", "Texas": "Tex.", "Vermont": "Vt.",
    "Virginia": "Va.", "Washington": "Wash.", "West Virginia": "W. Va.", "Wisconsin": "Wis.",
    "Wyoming": "Wyo.", "District of Columbia": "D.C.", "Puerto Rico": "P.R.",
    "U.S. Virgin Islands": "V.I.", "Northern Mariana Islands": "N. Mar. I.",
}


def state_citing(statute: str) -> str | None:
    """The state whose law a (non-federal) statute cites, read from how it begins: the
    state's name or its citation form; None when it names none (then no state's commitment
    is taken to bind it: a count is never guessed to be a state's)."""
    words = _key(statute).split()

    def cites(prefix: str) -> bool:
        head = _key(prefix).split()
        return words[:len(head)] == head

    found = [state for state in _STATES
             if cites(state) or (state in _CITED_AS and cites(_CITED_AS[state]))]
    return max(found, key=len, default=None)  # the longest: "West Virginia", not "Virginia"


def _key(text: str) -> str:
    return " ".join(text.replace(".", "").split()).casefold()


def recognised(text: str) -> str | None:
    """The authority in its one spelling (`federal`, or the state's name as listed), or None
    when the text names neither."""
    key = _key(text)
    if key in _FEDERAL_NAMES:
        return FEDERAL
    return next((state for state in _STATES if _key(state) == key), None)
