"""The person of a case as intake shows it: opened with the person's key, or marked erased.

`personal_data` says which: `sealed` (recorded sealed, shown opened), `erased` (the key is
gone; names, aliases and date of birth are null), `unreadable` (the key store does not open
it: a configuration problem, logged), or `in_clear` (recorded before sealing, v1).
"""

from __future__ import annotations

from typing import Any

from shared.clock import iso_utc
from shared.pii.person import PERSON_CONTEXT, PersonalData
from shared.pii.vault import PersonalDataVault, Unreadable

from .domain import CaseState
from .events import RequestSubmittedV1

_BLANK: dict[str, Any] = {"given_names": None, "family_names": None, "aliases": [],
                          "date_of_birth": None}


async def person_view(vault: PersonalDataVault, state: CaseState) -> dict[str, Any]:
    request = state.request
    assert request is not None
    if isinstance(request, RequestSubmittedV1):
        return {"person_id": None, **request.person.model_dump(mode="json"),
                "personal_data": "in_clear", "erased_at": None}
    person = request.person
    shown: dict[str, Any] = {"person_id": person.person_id, "nationality": person.nationality}
    erased_at = state.personal_data_erased_at
    opened: PersonalData | Unreadable = (
        Unreadable(person.person_id, "erased", erased_at) if erased_at is not None
        else await vault.open(person.person_id, PERSON_CONTEXT, person.sealed))
    if isinstance(opened, PersonalData):
        return {**shown, **opened.model_dump(mode="json"), "personal_data": "sealed",
                "erased_at": None}
    return {**shown, **_BLANK, "personal_data": "erased" if opened.erased else "unreadable",
            "erased_at": None if opened.erased_at is None else iso_utc(opened.erased_at)}
