"""The personal-data vault on a real PostgreSQL key store: sealing, erasure, master keys."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.clock import ManualClock, SystemClock
from shared.db import Database
from shared.eventstore import Actor
from shared.pii import keystore
from shared.pii.keyring import Keyring, KeyringError
from shared.pii.keystore import StoredKey
from shared.pii.person import ERASED, PERSON_CONTEXT, PersonalData, new_person_id
from shared.pii.sealing import Sealed, associated_data, new_key, seal, wrap
from shared.pii.vault import PersonalDataVault, PersonErased, Unreadable, open_vault
from tests.support.kafka_read import wait_for

OFFICER = Actor("privacy-7", "privacy_officer")


def person(given: str) -> PersonalData:
    return PersonalData(given_names=given, family_names="Beltrán Leyva", aliases=("El Barbas",))


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
async def vault(pg_url: str, keyring_path: Path) -> AsyncIterator[PersonalDataVault]:
    opened = open_vault(pg_url, keyring_path, clock=SystemClock(), cache_s=60)
    yield opened
    await opened.close()


@contextlib.asynccontextmanager
async def another_process(pg_url: str, keyring_path: Path) -> AsyncIterator[PersonalDataVault]:
    """A second service on the same key store and keyring, with its own (empty) cache,
    closed when the block ends."""
    other = open_vault(pg_url, keyring_path, clock=SystemClock(), cache_s=0)
    try:
        yield other
    finally:
        await other.close()


async def test_sealed_data_opens_in_another_service_and_not_under_another_person(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    alice, bob = new_person_id(), new_person_id()
    sealed = await vault.seal(alice, PERSON_CONTEXT, person("Arturo"))
    await vault.seal(bob, PERSON_CONTEXT, person("Héctor"))
    async with another_process(pg_url, keyring_path) as other:
        assert await other.open(alice, PERSON_CONTEXT, sealed) == person("Arturo")
        # Alice's blob presented as Bob's: another key and another AAD; it does not open.
        moved = await other.open(bob, PERSON_CONTEXT, sealed)
        assert moved == Unreadable(bob, "broken")
    async with Database(pg_url).connect() as conn:
        stored = (await conn.execute(sa.text("SELECT * FROM pii_data_keys"))).all()
    assert len(stored) == 2
    assert all(b"Arturo" not in bytes(row.wrapped_key) for row in stored)


async def test_a_new_person_gets_a_fresh_id_and_a_committed_key_that_erasure_deletes(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    first, sealed = await vault.seal_new_person(PERSON_CONTEXT, person("Arturo"))
    second, _ = await vault.seal_new_person(PERSON_CONTEXT, person("Arturo"))
    assert first != second
    async with another_process(pg_url, keyring_path) as other:  # reads the key store, not a cache
        assert await other.open(first, PERSON_CONTEXT, sealed) == person("Arturo")
        await vault.erase(first, case_id="RWY-1", actor=OFFICER, reason="court order 1")
        erasure = await vault.erasure(first)
        assert erasure is not None
        assert await other.open(first, PERSON_CONTEXT, sealed) == Unreadable(
            first, "erased", erasure.erased_at)


async def test_erasure_makes_the_data_unreadable_at_once_and_records_who_and_why(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    someone = new_person_id()
    sealed = await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))
    assert await vault.open(someone, PERSON_CONTEXT, sealed) == person("Arturo")  # cached

    erasure = await vault.erase(someone, case_id="RWY-1", actor=OFFICER,
                                reason="court order 2025-118")

    # No exception and no data: a clear marker, in this process at once despite its cache,
    # and in any other process that asks the key store.
    opened = await vault.open(someone, PERSON_CONTEXT, sealed)
    assert opened == Unreadable(someone, "erased", erasure.erased_at)
    assert opened.display_name == ERASED
    async with another_process(pg_url, keyring_path) as other:
        elsewhere = await other.open(someone, PERSON_CONTEXT, sealed)
        assert isinstance(elsewhere, Unreadable) and elsewhere.erased
    again = await vault.erase(someone, case_id="RWY-1", actor=Actor("x", "privacy_officer"),
                              reason="again")
    assert again == erasure  # the first erasure's record, unchanged
    assert (erasure.erased_by, erasure.erased_by_role, erasure.reason) == (
        "privacy-7", "privacy_officer", "court order 2025-118")
    async with Database(pg_url).connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM pii_data_keys")) == 0
        row = (await conn.execute(sa.text("SELECT * FROM pii_erasures"))).one()
    assert (row.person_id, row.case_id) == (someone, "RWY-1")
    with pytest.raises(PersonErased):
        await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))


async def test_a_key_this_key_store_never_held_reads_as_unreadable_not_erased(
        vault: PersonalDataVault) -> None:
    someone = new_person_id()
    sealed: Sealed = seal(new_key(), person("X").to_bytes(),
                          associated_data(someone, PERSON_CONTEXT))
    opened = await vault.open(someone, PERSON_CONTEXT, sealed)
    assert isinstance(opened, Unreadable) and opened.reason == "no_key"


async def test_rotating_the_master_key_keeps_everyone_readable_and_frees_the_old_key(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    people = {new_person_id(): person(f"P{i}") for i in range(7)}
    sealed = {pid: await vault.seal(pid, PERSON_CONTEXT, data) for pid, data in people.items()}
    old_id, _ = vault.keyring.current()

    rotation = await vault.rotate_master_key()

    assert rotation.rewrapped == len(people)
    status = await vault.status()
    assert status["data_keys_per_master_key"] == {rotation.new_kek_id: len(people)}
    assert status["current_master_key"] == rotation.new_kek_id

    # A service that had not seen the rotation wraps one more key with the old master key.
    straggler = new_person_id()
    key = new_key()
    async with vault.database.transaction() as conn:
        await keystore.insert_key(conn, StoredKey(straggler, old_id, wrap(
            vault.keyring.key(old_id), key, associated_data(straggler, "pii_data_keys"))),
            SystemClock().now())

    with pytest.raises(KeyringError, match="current"):
        await vault.retire_master_key(rotation.new_kek_id)
    assert await vault.retire_master_key(old_id) == 1  # the straggler re-wrapped first
    assert Keyring(keyring_path).key_ids() == [rotation.new_kek_id]

    async with another_process(pg_url, keyring_path) as fresh:  # no cached data keys
        for pid, data in people.items():
            assert await fresh.open(pid, PERSON_CONTEXT, sealed[pid]) == data
        status = await fresh.status()
        assert status["data_keys_per_master_key"] == {rotation.new_kek_id: len(people) + 1}


async def test_two_services_migrating_the_key_store_at_once_both_start(
        pg_url: str, keyring_path: Path) -> None:
    vaults = [open_vault(pg_url, keyring_path, clock=SystemClock(), cache_s=0)
              for _ in range(4)]
    try:
        await asyncio.gather(*(v.ensure_schema() for v in vaults))
    finally:
        for v in vaults:
            await v.close()


async def runway_infra(keyring_path: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "runway-infra"), *args,
        env={**os.environ, "RUNWAY_PII_KEYRING": str(keyring_path)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode()


async def test_the_rotation_commands_stage_activate_and_retire(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    someone = new_person_id()
    sealed = await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))
    old_id, _ = vault.keyring.current()
    store = ("--keystore-url", pg_url)

    code, out = await runway_infra(keyring_path, "rotate-pii-master-key", "--stage", *store)
    assert code == 0, out
    [staged] = [k for k in Keyring(keyring_path).key_ids() if k != old_id]
    assert Keyring(keyring_path).current()[0] == old_id  # staged, not yet current
    code, out = await runway_infra(keyring_path, "rotate-pii-master-key", "--activate", staged,
                                   *store)
    assert code == 0 and "1 data key(s) re-wrapped" in out, out
    code, out = await runway_infra(keyring_path, "retire-pii-master-key", staged, *store)
    assert code == 1 and "current" in out, out
    code, out = await runway_infra(keyring_path, "retire-pii-master-key", old_id, *store)
    assert code == 0, out
    code, out = await runway_infra(keyring_path, "pii-keys", *store)
    assert json.loads(out)["data_keys_per_master_key"] == {staged: 1}

    async with another_process(pg_url, keyring_path) as fresh:
        assert await fresh.open(someone, PERSON_CONTEXT, sealed) == person("Arturo")


async def data_keys_of(pg_url: str, person_id: str) -> int:
    database = Database(pg_url)
    try:
        async with database.connect() as conn:
            return int(await conn.scalar(sa.text(
                "SELECT count(*) FROM pii_data_keys WHERE person_id = :p"), {"p": person_id}))
    finally:
        await database.dispose()


async def test_a_key_row_beside_an_erasure_opens_nothing_and_erasing_again_removes_it(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    someone = new_person_id()
    sealed = await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))
    first = await vault.erase(someone, case_id="RWY-1", actor=OFFICER, reason="order")
    # What a sealing racing the erasure could have left: the person's key, written back.
    kek_id, kek = vault.keyring.current()
    key = new_key()
    async with vault.database.transaction() as conn:
        await keystore.insert_key(conn, StoredKey(someone, kek_id, wrap(
            kek, key, associated_data(someone, "pii_data_keys"))), SystemClock().now())
    stray = seal(key, person("Arturo").to_bytes(), associated_data(someone, PERSON_CONTEXT))

    async with another_process(pg_url, keyring_path) as other:
        for blob in (sealed, stray):
            assert await other.open(someone, PERSON_CONTEXT, blob) == Unreadable(
                someone, "erased", first.erased_at)
        with pytest.raises(PersonErased):
            await other.seal(someone, PERSON_CONTEXT, person("Arturo"))
        assert await other.erase(someone, case_id="RWY-1", actor=OFFICER,
                                 reason="again") == first
    assert await data_keys_of(pg_url, someone) == 0


async def test_a_cached_key_does_not_let_sealing_go_on_once_another_process_erased(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    someone = new_person_id()
    await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))  # the key is cached here
    async with another_process(pg_url, keyring_path) as other:
        await other.erase(someone, case_id="RWY-1", actor=OFFICER, reason="order")
    with pytest.raises(PersonErased):
        await vault.seal(someone, PERSON_CONTEXT, person("Arturo"))
    assert await data_keys_of(pg_url, someone) == 0


async def test_a_sealing_waits_for_an_erasure_in_progress_and_then_refuses(
        vault: PersonalDataVault, pg_url: str, keyring_path: Path) -> None:
    """Without the person's lock, a sealing could look for an erasure before one commits
    and write its key after: a key beside an erasure."""
    someone = new_person_id()
    await vault.ensure_schema()
    watcher = Database(pg_url)
    async with another_process(pg_url, keyring_path) as sealer:
        try:
            async with vault.database.transaction() as conn:  # an erasure, not yet committed
                await keystore.lock_person(conn, someone)
                await keystore.delete_key(conn, someone)
                await keystore.record_erasure(conn, keystore.Erasure(
                    someone, "RWY-1", SystemClock().now(), "privacy-7", "privacy_officer", "x"))
                sealing = asyncio.create_task(sealer.seal(someone, PERSON_CONTEXT,
                                                          person("Arturo")))

                async def sealing_waits() -> bool:
                    async with watcher.connect() as look:
                        waiting = await look.scalar(sa.text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_database d "
                            "ON d.oid = l.database WHERE d.datname = current_database() "
                            "AND l.locktype = 'advisory' AND l.objsubid = 2 AND NOT l.granted"))
                    return bool(waiting) or sealing.done()

                await wait_for(sealing_waits, timeout=20, what="the sealing to wait")
                assert not sealing.done(), "the sealing did not wait for the erasure"
            with pytest.raises(PersonErased):
                await sealing
        finally:
            await watcher.dispose()
    assert await data_keys_of(pg_url, someone) == 0


async def test_erasures_not_yet_logged_are_listed_oldest_first_in_pages(
        pg_url: str, keyring_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    vault = open_vault(pg_url, keyring_path, clock=clock, cache_s=0)
    try:
        erased = []
        for index in range(5):
            someone = new_person_id()
            await vault.seal(someone, PERSON_CONTEXT, person(f"P{index}"))
            erased.append(await vault.erase(someone, case_id=f"RWY-{index}", actor=OFFICER,
                                            reason="order"))
            clock.advance(timedelta(minutes=1))
        await vault.erase(new_person_id(), case_id=None, actor=OFFICER, reason="no case")
        await vault.erasure_logged(erased[1].person_id)

        pages, after = [], None
        while page := await vault.unlogged_erasures(erased_before=erased[4].erased_at,
                                                    after=after, limit=2):
            pages.append([e.person_id for e in page])
            after = (page[-1].erased_at, page[-1].person_id)
    finally:
        await vault.close()
    # Logged, too recent or without a case: not listed.
    assert pages == [[erased[0].person_id, erased[2].person_id], [erased[3].person_id]]
