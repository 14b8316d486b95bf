"""A person's personal data as it is sealed, and how consumers find it in intake's request.

intake.request_submitted v1 carried the person in clear; v2 carries `person_id`, the
nationality and `sealed` (this module's PersonalData, sealed under the person's data key with
PERSON_CONTEXT). Consumers read either with `person_of_request` (they handle both versions;
contracts/VERSIONING.md says why there is no upcaster).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, ValidationError

from shared.jsoncanon import canonical_json
from shared.messaging.tolerant import Tolerant
from shared.payloads import Frozen

from .sealing import Sealed

# Where the sealed person sits: part of the AAD, so the blob cannot be moved elsewhere.
PERSON_CONTEXT = "intake.request_submitted/person"
# What a display shows where a name was erased.
ERASED = "[erased]"


def new_person_id() -> str:
    return f"PER-{secrets.token_hex(10).upper()}"


class PersonalData(Frozen):
    """What identifies a person, sealed as one JSON document."""

    given_names: str = Field(min_length=1, max_length=200)
    family_names: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    date_of_birth: date | None = None

    @property
    def display_name(self) -> str:
        return f"{self.given_names} {self.family_names}".strip()

    def to_bytes(self) -> bytes:
        return canonical_json(self.model_dump(mode="json")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> PersonalData:
        return cls.model_validate_json(raw)


@dataclass(frozen=True)
class PersonRef:
    """The person a request names: sealed (v2) or, on legacy v1 events, a name in clear."""

    person_id: str | None
    sealed: Sealed | None = None
    legacy_name: str | None = None


class _ClearPerson(Tolerant):
    given_names: str = ""
    family_names: str = ""


class _SealedPerson(Tolerant):
    person_id: str = Field(min_length=1)
    sealed: Sealed


class _Request(Tolerant):
    person: dict[str, Any] | None = None


def person_of_request(payload: Mapping[str, Any], schema_version: int) -> PersonRef:
    """The person of an intake.request_submitted payload of either version. A payload
    without a readable person names nobody (the rest of the request is still used)."""
    person = _Request.model_validate(payload).person
    if person is None:
        return PersonRef(None)
    try:
        if schema_version >= 2:
            sealed = _SealedPerson.model_validate(person)
            return PersonRef(sealed.person_id, sealed=sealed.sealed)
        clear = _ClearPerson.model_validate(person)
    except ValidationError:
        return PersonRef(None)
    return PersonRef(None, legacy_name=f"{clear.given_names} {clear.family_names}".strip()
                     or None)
