"""People in intake's requests as tests build them: sealed like intake seals them (v2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.intake.events import SealedPerson
from shared.pii.person import PERSON_CONTEXT, PersonalData, new_person_id
from shared.pii.sealing import associated_data, new_key, seal
from shared.pii.vault import PersonalDataVault


async def sealed_person(vault: PersonalDataVault, given: str, family: str, *,
                        nationality: str = "Mexican", aliases: tuple[str, ...] = (),
                        date_of_birth: date | None = None) -> SealedPerson:
    """A person sealed under a new key in `vault`'s key store, as intake records them."""
    person_id = new_person_id()
    data = PersonalData(given_names=given, family_names=family, aliases=aliases,
                        date_of_birth=date_of_birth)
    return SealedPerson(person_id=person_id, nationality=nationality,
                        sealed=await vault.seal(person_id, PERSON_CONTEXT, data))


def sealed_offline(given: str, family: str, *, nationality: str = "Mexican") -> SealedPerson:
    """A person sealed under a key no key store holds: for consumers that never open it."""
    person_id = new_person_id()
    data = PersonalData(given_names=given, family_names=family)
    return SealedPerson(person_id=person_id, nationality=nationality, sealed=seal(
        new_key(), data.to_bytes(), associated_data(person_id, PERSON_CONTEXT)))


def as_v2(body: dict[str, Any]) -> dict[str, Any]:
    """A request body (tests/support/requests.py, the person in clear) as the payload of
    intake.request_submitted v2 (the person sealed offline)."""
    person = body["person"]
    sealed = sealed_offline(person["given_names"], person["family_names"],
                            nationality=person["nationality"])
    return {**body, "person": sealed.model_dump(mode="json")}
