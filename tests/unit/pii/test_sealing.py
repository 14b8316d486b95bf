"""Sealing a person's personal data: what opens, and what must not."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from shared.pii.person import PERSON_CONTEXT, PersonalData, person_of_request
from shared.pii.sealing import (
    SealBroken,
    Sealed,
    associated_data,
    new_key,
    seal,
    unseal,
    unwrap,
    wrap,
)

PERSON = PersonalData(given_names="Ovidio", family_names="Guzmán López",
                      aliases=("El Ratón",), date_of_birth=date(1990, 3, 29))
AAD = associated_data("PER-1", PERSON_CONTEXT)


def flip_a_bit(text: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_sealed_data_opens_with_its_key_and_context() -> None:
    key = new_key()
    sealed = seal(key, PERSON.to_bytes(), AAD)
    assert PersonalData.from_bytes(unseal(key, sealed, AAD)) == PERSON
    assert PERSON.display_name == "Ovidio Guzmán López"


def test_the_blob_carries_no_personal_data_in_clear() -> None:
    sealed = seal(new_key(), PERSON.to_bytes(), AAD).model_dump_json()
    for clear in ("Ovidio", "Guzm", "Ratón", "1990-03-29"):
        assert clear not in sealed


def test_sealing_twice_gives_different_ciphertexts() -> None:
    key = new_key()
    assert seal(key, PERSON.to_bytes(), AAD) != seal(key, PERSON.to_bytes(), AAD)


@pytest.mark.parametrize("aad", [
    associated_data("PER-2", PERSON_CONTEXT),             # moved to another person
    associated_data("PER-1", "intake.charges_amended/x"),  # moved to another field
    b"",
], ids=["other person", "other field", "no context"])
def test_a_blob_moved_to_another_context_does_not_open(aad: bytes) -> None:
    key = new_key()
    sealed = seal(key, PERSON.to_bytes(), AAD)
    with pytest.raises(SealBroken):
        unseal(key, sealed, aad)


@pytest.mark.parametrize("field", ["ciphertext", "nonce"])
@pytest.mark.parametrize("at", [0, 5, -1])
def test_a_tampered_blob_does_not_open(field: str, at: int) -> None:
    key = new_key()
    sealed = seal(key, PERSON.to_bytes(), AAD)
    tampered = sealed.model_copy(update={field: flip_a_bit(getattr(sealed, field), at)})
    with pytest.raises(SealBroken):
        unseal(key, tampered, AAD)


def test_another_key_does_not_open_it() -> None:
    sealed = seal(new_key(), PERSON.to_bytes(), AAD)
    with pytest.raises(SealBroken):
        unseal(new_key(), sealed, AAD)


def test_a_wrapped_data_key_is_bound_to_its_person() -> None:
    kek, dek = new_key(), new_key()
    wrapped = wrap(kek, dek, associated_data("PER-1", "pii_data_keys"))
    assert unwrap(kek, wrapped, associated_data("PER-1", "pii_data_keys")) == dek
    with pytest.raises(SealBroken):
        unwrap(kek, wrapped, associated_data("PER-2", "pii_data_keys"))
    with pytest.raises(SealBroken):
        unwrap(new_key(), wrapped, associated_data("PER-1", "pii_data_keys"))


def test_a_malformed_blob_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError):
        Sealed.model_validate({"alg": "none", "nonce": "A" * 16, "ciphertext": "B" * 40})


def test_consumers_find_the_person_in_either_version_of_the_request() -> None:
    sealed = seal(new_key(), PERSON.to_bytes(), AAD)
    v2 = {"case_id": "RWY-1", "person": {"person_id": "PER-1", "nationality": "Mexican",
                                         "sealed": sealed.model_dump()}}
    found = person_of_request(v2, 2)
    assert (found.person_id, found.sealed, found.legacy_name) == ("PER-1", sealed, None)
    v1 = {"case_id": "RWY-1", "person": {"given_names": "Ovidio", "family_names": "Guzmán",
                                         "nationality": "Mexican"}}
    legacy = person_of_request(v1, 1)
    assert (legacy.person_id, legacy.sealed, legacy.legacy_name) == (None, None,
                                                                       "Ovidio Guzmán")
    # A request without a readable person still names nobody rather than failing.
    assert person_of_request({"case_id": "RWY-1"}, 2).person_id is None
    assert person_of_request({"case_id": "RWY-1", "person": {"person_id": "P"}}, 2).sealed \
        is None
