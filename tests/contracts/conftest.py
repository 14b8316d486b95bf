"""Contract tests' tools: the official AsyncAPI parser from npm, installed once into a cache
outside the repository (~/.cache/runway/npm, or RUNWAY_NPM_CACHE)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

PARSER = "@asyncapi/parser"
PARSER_VERSION = "3.6.6"


def _cache_dir() -> Path:
    configured = os.environ.get("RUNWAY_NPM_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "runway" / "npm"


def _unavailable(reason: str) -> None:
    # In CI the parser must run: a missing tool is a failure there, not a skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the AsyncAPI parser is unavailable: {reason}")
    pytest.skip(f"the AsyncAPI parser is unavailable: {reason}")


def _installed_version(modules: Path) -> str | None:
    manifest = modules / "@asyncapi" / "parser" / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


@pytest.fixture(scope="session")
def asyncapi_modules() -> Path:
    """node_modules holding @asyncapi/parser at the pinned version."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are not on PATH")
    prefix = _cache_dir()
    modules = prefix / "node_modules"
    if _installed_version(modules) != PARSER_VERSION:
        prefix.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--ignore-scripts", "--no-save", f"{PARSER}@{PARSER_VERSION}"],
            capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0 or _installed_version(modules) != PARSER_VERSION:
            _unavailable(f"npm install failed: {result.stderr[-2000:]}")
    return modules
