"""A PostgreSQL server of the chaos run's own: restarting it (the fault) must not disturb the
development server on 5433 that other work shares. Debian's binaries, a data directory under
/tmp owned by the postgres user, trust authentication on loopback only."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from shared.retry import poll

ROLE = "runway"
START_S = 120.0


def _bin(tool: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL not installed: deploy/postgres.sh start installs it")
    return str(versions[-1] / tool)


@dataclass
class OwnPostgres:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://{ROLE}:{ROLE}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{ROLE}:{ROLE}@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    async def init(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        shutil.chown(self.root, "postgres", "postgres")
        await asyncio.to_thread(self._as_postgres, _bin("initdb"), "-D", str(self.data),
                                "-U", ROLE, "--auth=trust", "-E", "UTF8")

    async def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=300 -c shared_buffers=128MB -c fsync=on")
        await asyncio.to_thread(self._as_postgres, _bin("pg_ctl"), "-D", str(self.data),
                                "-l", str(self.root / "postgres.log"), "-o", options, "-w",
                                "-t", str(int(START_S)), "start")
        await poll(self.answers, within=START_S, every=0.2, what="PostgreSQL to answer")

    async def crash(self) -> None:
        """An immediate stop: no checkpoint, clients cut off, recovery at the next start."""
        await asyncio.to_thread(self._as_postgres, _bin("pg_ctl"), "-D", str(self.data),
                                "-m", "immediate", "-w", "stop")

    async def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            await asyncio.to_thread(self._as_postgres, _bin("pg_ctl"), "-D", str(self.data),
                                    "-m", "fast", "-w", "stop")

    async def answers(self) -> bool:
        try:
            conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=ROLE,
                                         database="postgres", timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    async def create(self, names: list[str]) -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=ROLE,
                                     database="postgres")
        try:
            for name in names:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
