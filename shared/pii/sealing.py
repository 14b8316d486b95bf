"""AES-256-GCM sealing: personal data encrypted under a person's data key (DEK), bound to its
context by the associated data (AAD).

The AAD is never stored: the reader rebuilds it from where the blob sits (the person id beside
it and the event field it is in). A blob copied to another person, or to another field, fails
authentication instead of decrypting, and so does any change to a single bit of it.
"""

from __future__ import annotations

import base64
import os
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field

from shared.jsoncanon import canonical_json
from shared.payloads import Frozen

KEY_BYTES = 32    # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per sealing (a DEK seals very few blobs)
AAD_FORMAT = "runway.pii.v1"


class SealBroken(ValueError):
    """The blob does not authenticate under this key and context: tampered, moved to another
    person or field, or sealed under another key."""


class Sealed(Frozen):
    """Ciphertext of a person's personal data (JSON), AES-256-GCM under the person's data key."""

    alg: Literal["A256GCM"] = Field(default="A256GCM",
                                    description="AES-256-GCM (NIST SP 800-38D)")
    nonce: str = Field(min_length=16, max_length=16,
                       description="the 96-bit nonce, base64url without padding")
    ciphertext: str = Field(min_length=22, max_length=20000,
                            description="ciphertext followed by the 128-bit tag, base64url "
                                        "without padding")


def associated_data(person_id: str, context: str) -> bytes:
    """What a blob is bound to: the person and the place (event type and field) it sits in."""
    return canonical_json([AAD_FORMAT, person_id, context]).encode()


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(nonce=_b64(nonce), ciphertext=_b64(AESGCM(key).encrypt(nonce, plaintext, aad)))


def unseal(key: bytes, sealed: Sealed, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), aad)
    except (InvalidTag, ValueError) as error:
        raise SealBroken("the sealed data does not authenticate under this key and "
                         "context") from error


def wrap(kek: bytes, dek: bytes, aad: bytes) -> bytes:
    """A data key encrypted under a master key: nonce + ciphertext + tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, dek, aad)


def unwrap(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as error:
        raise SealBroken("the wrapped data key does not authenticate under this master "
                         "key") from error


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
