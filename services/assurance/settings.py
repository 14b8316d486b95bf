"""The assurance service's own configuration, read in the composition root (never at import).

ASSURANCE_SUFFICIENT_SCOPES: the assurance scopes Mexico may accept, as a JSON list; by
default treaty art. 8's "not_imposed" and "not_carried_out". A scope of only "not_sought"
(prosecutors won't ask for death) is then refused with rule assurance_scope_insufficient.
"""

from __future__ import annotations

from pydantic import Field

from shared.envsettings import EnvSettings

from .domain import TREATY_SUFFICIENT_SCOPES, Policy
from .events import Scope


class AssuranceSettings(EnvSettings):
    sufficient_scopes: frozenset[Scope] = Field(default=TREATY_SUFFICIENT_SCOPES, min_length=1,
                                                validation_alias="ASSURANCE_SUFFICIENT_SCOPES")

    def policy(self) -> Policy:
        return Policy(sufficient_scopes=self.sufficient_scopes)
