"""The legal basis a case travels on: one enumeration for every service's events and state.

intake records it with the request; court and the other services read it from intake's and
judicial's events. Its values are part of the published contracts (contracts/schemas): each
event schema lists them under `LegalBasis`.
"""

from __future__ import annotations

from enum import StrEnum


# (No docstring on the class: pydantic would publish it as the schema's description.)
class LegalBasis(StrEnum):
    TREATY = "treaty"                        # 1978 treaty: the full judicial path
    SIMPLIFIED = "simplified"                # the person consents (treaty art. 18)
    NATIONAL_SECURITY = "national_security"  # Mexico's National Security Law transfer


__all__ = ["LegalBasis"]
