"""The personal-data vault: seal and open a person's data with their own data key; erase it.

Each person gets a random 256-bit data key (DEK) on first sealing, stored in the key store
wrapped (AES-256-GCM) by the current master key (KEK) of the keyring and bound to the person
id, so a wrapped key moved to another row does not unwrap. Erasure deletes the DEK and
records when, who and why: every blob sealed under it is from then on noise, while the events
holding it (and their hash chains, which cover the ciphertext) stay as they were.

Opening never raises for a missing or erased key: it answers `Unreadable`, which a consumer
stores as an erased name instead of dead-lettering the event. Unwrapped keys are cached for
`cache_s` seconds for opening; an erasure drops the key from this process's cache at once, and
sealing never uses the cache: it reads the key and the erasure record in one transaction,
under the person's lock that erasure takes too.

Nothing logged here quotes the data: a blob that decrypts but does not validate is reported by
the validation errors' locations and types, never their input (shared/errortext).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import IntegrityError

from shared.clock import Clock
from shared.db import Database
from shared.errortext import describe
from shared.eventstore import Actor

from . import keystore
from .keyring import Keyring, KeyringError
from .keystore import Erasure, StoredKey
from .person import ERASED, PersonalData, new_person_id
from .sealing import SealBroken, Sealed, associated_data, new_key, seal, unseal, unwrap, wrap

log = logging.getLogger("runway.pii")

WRAPPING_CONTEXT = "pii_data_keys"
REWRAP_BATCH = 500
CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Unreadable:
    """Personal data that cannot be shown: erased (the normal case), a key that was never in
    this key store, or a blob that does not authenticate."""

    person_id: str
    reason: Literal["erased", "no_key", "broken"]
    erased_at: datetime | None = None

    @property
    def erased(self) -> bool:
        return self.reason == "erased"

    @property
    def display_name(self) -> str:
        return ERASED if self.erased else "[unreadable]"


class PersonErased(RuntimeError):
    """Sealing new data for a person whose key was erased."""


@dataclass(frozen=True)
class Rotation:
    new_kek_id: str
    rewrapped: int


class PersonalDataVault:
    def __init__(self, database: Database, keyring: Keyring, *, clock: Clock,
                 cache_s: float = 30.0) -> None:
        self.database = database
        self.keyring = keyring
        self._clock = clock
        self._cache_s = cache_s
        self._cache: dict[str, tuple[bytes, float]] = {}
        self._ready = False
        self._ready_lock = asyncio.Lock()

    async def ensure_schema(self) -> None:
        """Migrate the key store once per process, on first use."""
        if self._ready:
            return
        async with self._ready_lock:
            if not self._ready:
                await keystore.migrate_keystore(self.database)
                self._ready = True

    async def close(self) -> None:
        self._cache.clear()
        await self.database.dispose()

    # --- sealing and opening -----------------------------------------------------------

    async def seal(self, person_id: str, context: str, data: PersonalData) -> Sealed:
        """The person's data sealed under their key (created on first use)."""
        key = await self._key_for_writing(person_id)
        return seal(key, data.to_bytes(), associated_data(person_id, context))

    async def seal_new_person(self, context: str, data: PersonalData) -> tuple[str, Sealed]:
        """A new person id, and their data sealed under a key made for them and committed to
        the key store before this returns (so before any event holding the blob exists).

        The id is minted here, so nobody else can know it yet: no erasure can name it and no
        other writer can create its key. That is why this path, unlike `seal`, takes no
        per-person lock and reads nothing first: one autocommitted insert, where `seal` needs
        a transaction of five statements (a submission's largest cost under load)."""
        await self.ensure_schema()
        person_id = new_person_id()
        key = new_key()
        kek_id, kek = self.keyring.current()
        stored = StoredKey(person_id, kek_id, wrap(kek, key, _wrapping_aad(person_id)))
        async with self.database.autocommit() as conn:
            await keystore.insert_key(conn, stored, self._clock.now())
        self._remember(person_id, key)
        return person_id, seal(key, data.to_bytes(), associated_data(person_id, context))

    async def open(self, person_id: str, context: str,
                   sealed: Sealed) -> PersonalData | Unreadable:
        key = await self._key_for_reading(person_id)
        if isinstance(key, Unreadable):
            return key
        try:
            return PersonalData.from_bytes(unseal(key, sealed,
                                                  associated_data(person_id, context)))
        except (SealBroken, ValueError) as error:
            # A ValidationError's text quotes its input: here, the decrypted data.
            log.error("sealed personal data does not open", extra={
                "person_id": person_id, "context": context, "error": describe(error)})
            return Unreadable(person_id, "broken")

    async def _key_for_writing(self, person_id: str) -> bytes:
        """The person's key, created on first use; PersonErased once erased. Read from the
        key store, never the cache, so an erasure made by another process counts at once."""
        await self.ensure_schema()
        try:
            key = await self._key_in_store(person_id)
        except IntegrityError:
            # Without a per-person lock (SQLite), another writer may create the key between
            # our look and our insert: use theirs.
            key = await self._key_in_store(person_id)
        self._remember(person_id, key)
        return key

    async def _key_in_store(self, person_id: str) -> bytes:
        async with self.database.transaction() as conn:
            await keystore.lock_person(conn, person_id)
            if await keystore.erasure_of(conn, person_id) is not None:
                raise PersonErased(f"the personal data of {person_id} was erased")
            stored = await keystore.stored_key(conn, person_id)
            if stored is not None:
                return self._unwrap(stored)
            key = new_key()
            kek_id, kek = self.keyring.current()
            await keystore.insert_key(conn, StoredKey(person_id, kek_id, wrap(
                kek, key, _wrapping_aad(person_id))), self._clock.now())
            return key

    async def _key_for_reading(self, person_id: str) -> bytes | Unreadable:
        cached = self._cache.get(person_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        await self.ensure_schema()
        async with self.database.connect() as conn:
            # The erasure record wins over any key row beside it.
            erasure = await keystore.erasure_of(conn, person_id)
            stored = None if erasure else await keystore.stored_key(conn, person_id)
        if erasure is not None:
            return Unreadable(person_id, "erased", erasure.erased_at)
        if stored is None:
            return Unreadable(person_id, "no_key")
        try:
            key = self._unwrap(stored)
        except (KeyringError, SealBroken) as error:
            log.error("a data key does not unwrap", extra={
                "person_id": person_id, "kek_id": stored.kek_id, "error": describe(error)})
            return Unreadable(person_id, "broken")
        self._remember(person_id, key)
        return key

    def _unwrap(self, stored: StoredKey) -> bytes:
        return unwrap(self.keyring.key(stored.kek_id), stored.wrapped_key,
                      _wrapping_aad(stored.person_id))

    def _remember(self, person_id: str, key: bytes) -> None:
        if self._cache_s <= 0:
            return
        now = time.monotonic()
        if len(self._cache) >= CACHE_ENTRIES:  # bounded, e.g. while a consumer catches up
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
        self._cache[person_id] = (key, now + self._cache_s)

    # --- erasure -------------------------------------------------------------------------

    async def erase(self, person_id: str, *, case_id: str | None, actor: Actor,
                    reason: str, at: datetime | None = None) -> Erasure:
        """Delete the person's data key and record the erasure (at `at`, default now).
        Erasing again records nothing new and answers the first erasure's record (deleting
        any key row found beside it all the same: none may outlive an erasure)."""
        await self.ensure_schema()
        self._cache.pop(person_id, None)
        erasure = Erasure(person_id, case_id, at or self._clock.now(), actor.subject,
                          actor.role, reason)
        try:
            earlier = await self._erase_in_store(erasure)
        except IntegrityError:
            # Without a per-person lock (SQLite), another erasure was recorded first.
            earlier = await self._erase_in_store(erasure)
            if earlier is None:
                raise
        finally:
            self._cache.pop(person_id, None)
        await self.database.purge_deleted()
        if earlier is not None:
            return earlier
        log.info("personal data erased", extra={"person_id": person_id, "case_id": case_id})
        return erasure

    async def _erase_in_store(self, erasure: Erasure) -> Erasure | None:
        """Delete the key; record `erasure` unless one was (that one is returned)."""
        async with self.database.transaction() as conn:
            await keystore.lock_person(conn, erasure.person_id)
            await keystore.delete_key(conn, erasure.person_id)
            earlier = await keystore.erasure_of(conn, erasure.person_id)
            if earlier is None:
                await keystore.record_erasure(conn, erasure)
            return earlier

    async def erasure(self, person_id: str) -> Erasure | None:
        await self.ensure_schema()
        async with self.database.connect() as conn:
            return await keystore.erasure_of(conn, person_id)

    async def unlogged_erasures(self, *, erased_before: datetime,
                                after: tuple[datetime, str] | None = None,
                                limit: int = 100) -> list[Erasure]:
        """Erasures of a case not yet noted as recorded in the case's log (oldest first;
        page on with `after`, the last one's (erased_at, person_id))."""
        await self.ensure_schema()
        async with self.database.connect() as conn:
            return await keystore.unlogged_erasures(conn, erased_before=erased_before,
                                                    after=after, limit=limit)

    async def erasure_logged(self, person_id: str) -> None:
        """Note that the case's log holds the erasure's event (see unlogged_erasures)."""
        await self.ensure_schema()
        async with self.database.transaction() as conn:
            await keystore.mark_logged(conn, person_id, self._clock.now())

    # --- master key rotation ------------------------------------------------------------

    async def rotate_master_key(self, activate: str | None = None) -> Rotation:
        """A new current master key (or the staged one `activate` names); every data key
        re-wrapped with it. No event changes: events hold data sealed by the data keys,
        which stay the same."""
        await self.ensure_schema()
        if activate is None:
            new_id = self.keyring.add_current()
        else:
            self.keyring.make_current(activate)
            new_id = activate
        return Rotation(new_id, await self.rewrap_to_current())

    async def rewrap_to_current(self) -> int:
        """Re-wrap every data key not wrapped with the current master key (in batches, one
        transaction each); returns how many were."""
        await self.ensure_schema()
        current_id, current = self.keyring.current()
        older = [k for k in self.keyring.key_ids() if k != current_id]
        done = 0
        while older:
            async with self.database.transaction() as conn:
                batch = await keystore.keys_wrapped_with(conn, older, limit=REWRAP_BATCH)
                for old in batch:
                    key = unwrap(self.keyring.key(old.kek_id), old.wrapped_key,
                                 _wrapping_aad(old.person_id))
                    new = StoredKey(old.person_id, current_id,
                                    wrap(current, key, _wrapping_aad(old.person_id)))
                    await keystore.replace_wrapping(conn, old, new, self._clock.now())
            done += len(batch)
            if len(batch) < REWRAP_BATCH:
                break
        return done

    async def retire_master_key(self, kek_id: str) -> int:
        """Remove an old master key from the keyring, after re-wrapping any data key still
        wrapped with it (one created by a service that had not seen the rotation yet).
        Refuses while any remains, so no data key is ever left without its master key."""
        current_id, _ = self.keyring.current()
        if kek_id == current_id:
            raise KeyringError(f"{kek_id} is the current master key; rotate first")
        if kek_id not in self.keyring.key_ids():
            raise KeyringError(f"master key {kek_id!r} is not in the keyring")
        rewrapped = await self.rewrap_to_current()
        async with self.database.connect() as conn:
            remaining = (await keystore.keys_per_master_key(conn)).get(kek_id, 0)
        if remaining:
            raise KeyringError(f"{remaining} data key(s) are still wrapped with {kek_id}")
        self.keyring.remove(kek_id)
        return rewrapped

    async def status(self) -> dict[str, object]:
        await self.ensure_schema()
        async with self.database.connect() as conn:
            per_kek = await keystore.keys_per_master_key(conn)
            erased = await keystore.erasure_count(conn)
        current_id, _ = self.keyring.current()
        return {"current_master_key": current_id, "master_keys": self.keyring.key_ids(),
                "data_keys_per_master_key": per_kek, "erasures": erased}


def _wrapping_aad(person_id: str) -> bytes:
    return associated_data(person_id, WRAPPING_CONTEXT)


def open_vault(keystore_url: str, keyring_path: Path, *, clock: Clock,
               cache_s: float) -> PersonalDataVault:
    """A vault on the key store at `keystore_url` (nothing connects until first use)."""
    # Each use holds a connection briefly (one insert, or a read): a small pool, kept open.
    return PersonalDataVault(Database(keystore_url, pool_size=8, max_overflow=0),
                             Keyring(keyring_path),
                             clock=clock, cache_s=cache_s)
