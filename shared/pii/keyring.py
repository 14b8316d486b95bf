"""The master keys (KEKs) that wrap every person's data key, kept in a JSON file.

    {"format": "runway-pii-keyring/1", "current": "<id>", "keys": {"<id>": "<base64 key>"}}

New data keys are wrapped with the current KEK; older KEKs stay until no data key is wrapped
with them any more (`runway-infra rotate-pii-master-key`, then `retire-pii-master-key`). The
file is re-read when it changes on disk, so a rotation reaches running services without a
restart. On first use for a local run it is created with mode 0600; two processes creating it
at once agree on one keyring (the file appears atomically, and the loser reads the winner's).
Every change (add, make current, remove) reads the file afresh and replaces it under an
exclusive lock on the sibling `<name>.lock`, so two rotations at once cannot lose a key.
In production, provision it like any secret (a mounted file readable by the services only); a
keyring that its group or others may read is reported (logged) each time it is read.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .sealing import KEY_BYTES, new_key

FORMAT = "runway-pii-keyring/1"

log = logging.getLogger("runway.pii")


class KeyringError(RuntimeError):
    """The keyring is missing a key, unreadable, or would lose a key still in use."""


@dataclass(frozen=True)
class KeyringContents:
    current: str
    keys: dict[str, bytes]


def new_key_id() -> str:
    return f"kek-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


class Keyring:
    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._create = create
        self._contents: KeyringContents | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    # --- reading -------------------------------------------------------------------------

    def current(self) -> tuple[str, bytes]:
        """The id and key new data keys are wrapped with."""
        contents = self._load()
        return contents.current, contents.keys[contents.current]

    def key(self, key_id: str) -> bytes:
        found = self._load().keys.get(key_id)
        if found is None:
            raise KeyringError(f"master key {key_id!r} is not in the keyring {self.path}")
        return found

    def key_ids(self) -> list[str]:
        return sorted(self._load().keys)

    def _load(self) -> KeyringContents:
        with self._lock:
            stamp = self._file_stamp()
            if stamp is None:
                if not self._create:
                    raise KeyringError(f"no keyring at {self.path} (RUNWAY_PII_KEYRING)")
                self._create_file()
                stamp = self._file_stamp()
            if self._contents is None or stamp != self._stamp:
                _warn_if_shared(self.path)
                self._contents = _parse(self.path)
                self._stamp = stamp
            return self._contents

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_mtime_ns, status.st_ino

    # --- changing ------------------------------------------------------------------------

    def add(self, *, current: bool) -> str:
        """A new master key; the current one from now on if `current` (else staged: every
        host can get the file before any data key is wrapped with it)."""
        with self._changing() as contents:
            key_id = new_key_id()
            self._write(KeyringContents(key_id if current else contents.current,
                                        {**contents.keys, key_id: new_key()}))
        return key_id

    def add_current(self) -> str:
        """A new master key, from now on the current one; the old ones stay to unwrap."""
        return self.add(current=True)

    def make_current(self, key_id: str) -> None:
        with self._changing() as contents:
            if key_id not in contents.keys:
                raise KeyringError(f"master key {key_id!r} is not in the keyring")
            self._write(KeyringContents(key_id, contents.keys))

    def remove(self, key_id: str) -> None:
        with self._changing() as contents:
            if key_id == contents.current:
                raise KeyringError(f"{key_id} is the current master key; rotate first")
            if key_id not in contents.keys:
                raise KeyringError(f"master key {key_id!r} is not in the keyring")
            self._write(KeyringContents(contents.current, {
                k: v for k, v in contents.keys.items() if k != key_id}))

    @contextlib.contextmanager
    def _changing(self) -> Iterator[KeyringContents]:
        """The keyring as it is on disk now, held under an exclusive lock (on a sibling lock
        file: the keyring itself is replaced, not rewritten) until the change is written."""
        self._load()  # creates the file on first use
        lock_path = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield _parse(self.path)
        finally:
            os.close(descriptor)  # releases the lock

    def _create_file(self) -> None:
        key_id = new_key_id()
        temporary = self._temporary_with(KeyringContents(key_id, {key_id: new_key()}))
        try:
            os.link(temporary, self.path)  # fails if another process created it first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)

    def _write(self, contents: KeyringContents) -> None:
        os.replace(self._temporary_with(contents), self.path)
        with self._lock:
            self._contents, self._stamp = contents, None  # re-read (and re-stamp) next time

    def _temporary_with(self, contents: KeyringContents) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, name = tempfile.mkstemp(dir=self.path.parent, prefix=".keyring-")
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(_document(contents), handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        return Path(name)


def _warn_if_shared(path: Path) -> None:
    """Log when the keyring's group or others may use it: whoever reads it, with the key
    store, can open every person's data."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # _parse says what is wrong
    if mode & 0o077:
        log.warning("the personal-data keyring is readable beyond its owner; make it 0600 "
                    "(or 0400)", extra={"keyring": str(path), "mode": f"{mode:04o}"})


def _document(contents: KeyringContents) -> dict[str, object]:
    return {"format": FORMAT, "current": contents.current,
            "keys": {k: base64.b64encode(v).decode("ascii") for k, v in contents.keys.items()}}


def _parse(path: Path) -> KeyringContents:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = {str(k): base64.b64decode(v, validate=True)
                for k, v in document["keys"].items()}
        current = str(document["current"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise KeyringError(f"cannot read the keyring {path}: {error!r}") from error
    if document.get("format") != FORMAT:
        raise KeyringError(f"{path} is not a {FORMAT} file")
    if current not in keys:
        raise KeyringError(f"{path}: the current key {current!r} is not among its keys")
    if any(len(k) != KEY_BYTES for k in keys.values()):
        raise KeyringError(f"{path}: every master key must be {KEY_BYTES} bytes")
    return KeyringContents(current, keys)
