"""Where the personal-data key store and the master keyring live (read in the composition root).

RUNWAY_KEYSTORE_URL names the key store's database. Without it the key store is the database
`runway_keys` on the DATABASE_URL server when that is PostgreSQL (every service shares it),
else the SQLite file `<RUNWAY_DATA_DIR>/keys.db`. RUNWAY_PII_KEYRING is the JSON file of master
keys (KEKs), created with mode 0600 on first use for local runs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.db import with_database
from shared.envsettings import EnvSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
KEYSTORE_DATABASE = "runway_keys"


class PiiSettings(EnvSettings):
    keystore_url: str | None = Field(default=None, validation_alias="RUNWAY_KEYSTORE_URL")
    keyring_path: Path = Field(default=REPO_ROOT / "var" / "keys" / "keyring.json",
                               validation_alias="RUNWAY_PII_KEYRING")
    # How long an unwrapped data key stays in a process's memory. An erasure takes effect at
    # once in the erasing process and within this many seconds everywhere else (and every
    # service blanks its copies of the name when intake.personal_data_erased arrives).
    key_cache_s: float = Field(default=30.0, ge=0, le=3600,
                               validation_alias="RUNWAY_PII_KEY_CACHE_S")

    def resolved_keystore_url(self, database_url: str | None, data_dir: Path) -> str:
        if self.keystore_url:
            return self.keystore_url
        if database_url and database_url.startswith("postgresql"):
            return with_database(database_url, KEYSTORE_DATABASE)
        return f"sqlite+aiosqlite:///{data_dir / 'keys.db'}"
