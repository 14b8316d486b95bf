"""Running Runway processes for real in end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from shared.settings import REPO_ROOT


async def start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """Start `python -m ...` or a console script from the venv, with the repo on the path."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    command = [sys.executable, *args]
    return await asyncio.create_subprocess_exec(
        *command, cwd=REPO_ROOT, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def console_script(name: str) -> str:
    return str(Path(sys.executable).parent / name)


async def start_script(name: str, *args: str) -> asyncio.subprocess.Process:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return await asyncio.create_subprocess_exec(
        console_script(name), *args, cwd=REPO_ROOT, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()


async def terminate(process: asyncio.subprocess.Process, timeout: float = 30) -> str:
    """SIGTERM, wait for a graceful exit, return what it printed on stdout."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    if process.returncode != 0:
        raise AssertionError(f"exit {process.returncode}: {stderr.decode()[-3000:]}")
    return stdout.decode()
