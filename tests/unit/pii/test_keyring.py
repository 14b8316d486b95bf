"""The master keyring file: created private, shared by every process, rotated in place."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from shared.pii.keyring import Keyring, KeyringError


def test_it_is_created_on_first_use_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keyring.json"
    current, key = Keyring(path).current()
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["current"] == current


def test_processes_creating_it_at_once_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    found: list[tuple[str, bytes]] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        found.append(Keyring(path).current())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "keyring.json"]  # no leftovers


def test_a_rotation_reaches_a_running_reader_and_old_keys_stay_until_removed(
        tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    writer, reader = Keyring(path), Keyring(path)
    old_id, old_key = reader.current()
    new_id = writer.add_current()
    assert reader.current()[0] == new_id  # re-read because the file changed
    assert reader.key(old_id) == old_key
    with pytest.raises(KeyringError, match="current"):
        writer.remove(new_id)
    writer.remove(old_id)
    assert reader.key_ids() == [new_id]
    with pytest.raises(KeyringError, match="not in the keyring"):
        reader.key(old_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_without_creation_a_missing_keyring_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="RUNWAY_PII_KEYRING"):
        Keyring(tmp_path / "absent.json", create=False).current()


def test_a_damaged_keyring_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps({"format": "runway-pii-keyring/1", "current": "k2",
                                "keys": {"k1": "AAAA"}}))
    with pytest.raises(KeyringError):
        Keyring(path).current()


def test_a_staged_key_is_known_before_it_becomes_current(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = Keyring(path)
    current, _ = keyring.current()
    staged = keyring.add(current=False)
    assert keyring.current()[0] == current and staged in keyring.key_ids()
    keyring.make_current(staged)
    assert Keyring(path).current()[0] == staged
    with pytest.raises(KeyringError):
        keyring.make_current("kek-unknown")


def test_rotations_at_once_lose_no_master_key(tmp_path: Path) -> None:
    """Each change reads the file and replaces it: without the lock, two at once would each
    write the keys they read plus their own, and the first one's key would be lost."""
    path = tmp_path / "keyring.json"
    first, _ = Keyring(path).current()
    added: list[str] = []
    barrier = threading.Barrier(8)

    def rotate() -> None:
        keyring = Keyring(path)
        barrier.wait()
        added.extend(keyring.add(current=False) for _ in range(3))

    threads = [threading.Thread(target=rotate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Keyring(path).key_ids() == sorted([first, *added])
    assert len(added) == 24


def test_a_keyring_others_may_read_is_reported(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keyring.json"
    Keyring(path).current()
    assert "readable beyond its owner" not in caplog.text
    path.chmod(0o644)
    Keyring(path).current()
    [warning] = [r for r in caplog.records if "readable beyond its owner" in r.getMessage()]
    assert (warning.levelname, warning.__dict__["mode"]) == ("WARNING", "0644")
