"""Statute citations as services compare them: written by clerks and operators in many ways
(18 U.S.C. § 1114, 18 USC 1114, 18 u.s.c. 1114), one law each. A key drops dots, section
signs, case and extra spacing, so two spellings of one citation compare equal."""

from __future__ import annotations

import re


def key(citation: str) -> str:
    """The citation without dots, section signs, case or extra spacing."""
    return " ".join(citation.replace(".", "").replace("§", " ").split()).casefold()


def same(first: str, second: str) -> bool:
    return key(first) == key(second)


def cites_us_code(citation: str) -> bool:
    """Whether a citation is to the U.S. Code, however written (U.S.C., USC, u.s.c) or
    annotated (U.S.C.A., U.S.C.S.)."""
    return re.search(r"\busc[as]?\b", key(citation)) is not None
