"""What the HTTP benchmarks share: a private stack of real service processes on PostgreSQL and
Kafka, bearer tokens from a local issuer made for the run, and wrk as the load generator.

wrk (Debian's `wrk`) drives the load so that the client costs the 2-core box as little as
possible; a Lua script per run sets the method, body and headers, rotates paths, and prints
its summary (requests, errors, p50/p99) as one JSON line that is parsed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.security import AuthSettings, TokenIssuer
from shared.security.keys import LocalIssuerKeys
from tests.support.infra import fresh_namespace, kafka_bootstrap, pg_server_url
from tests.support.stack import Stack


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def private_secrets() -> Any:
    """A token issuer and a personal-data keyring made for this run, as the tests do, so the
    bench never touches var/auth or var/keys (the service processes inherit the variables)."""
    made = {name: tempfile.mkdtemp(prefix=f"runway-bench-{name}-") for name in ("auth", "pii")}
    saved = {name: os.environ.get(name) for name in ("RUNWAY_AUTH_DIR", "RUNWAY_PII_KEYRING")}
    os.environ["RUNWAY_AUTH_DIR"] = made["auth"]
    os.environ["RUNWAY_PII_KEYRING"] = str(Path(made["pii"]) / "keyring.json")
    LocalIssuerKeys(Path(made["auth"])).ensure()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for directory in made.values():
            shutil.rmtree(directory, ignore_errors=True)


def token(subject: str, role: str) -> str:
    return TokenIssuer(AuthSettings()).issue(subject, [role])


@contextlib.asynccontextmanager
async def running_stack(names: Sequence[str],
                        env: dict[str, str] | None = None) -> AsyncIterator[Stack]:
    """The named services as real processes on fresh databases and topics, stopped after."""
    with private_secrets():
        stack = Stack(pg_server_url(), kafka_bootstrap(), namespace=fresh_namespace("bench"))
        try:
            await stack.start(list(names), env=env)
            yield stack
        finally:
            await stack.stop()


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]

    @property
    def per_s(self) -> float:
        """Answered requests per second that were not errors (a non-2xx/3xx is one)."""
        return (self.requests - self.errors["status"]) / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {"req_per_s": round(self.per_s, 1), "p50_ms": round(self.p50_ms, 2),
                "p99_ms": round(self.p99_ms, 2), "requests": self.requests,
                "errors": {k: v for k, v in self.errors.items() if v}}


_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def wrk_script(method: str, paths: Sequence[str], headers: dict[str, str],
               body: str | None = None) -> str:
    """A wrk script sending `method` to each of `paths` in turn, with `headers` and `body`."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    lines.append("local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}")
    lines.append("local n = 0")
    lines.append("request = function()\n  n = n + 1\n"
                 "  return wrk.format(nil, paths[(n % #paths) + 1])\nend")
    return "\n".join(lines) + "\n" + _DONE


async def wrk(base_url: str, script: str, *, connections: int, threads: int,
              seconds: float, timeout_s: float = 2.0) -> WrkResult:
    """Run wrk against `base_url` with `script` and parse the summary its `done` prints."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (Debian)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk", f"-t{min(threads, connections)}", f"-c{connections}",
            # wrk takes whole seconds only
            f"-d{max(1, round(seconds))}s", f"--timeout={max(1, round(timeout_s))}s",
            "-s", handle.name, base_url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
    finally:
        os.unlink(handle.name)
    for line in out.decode().splitlines():
        if line.startswith("WRK_JSON "):
            raw = json.loads(line.removeprefix("WRK_JSON "))
            return WrkResult(raw["requests"], raw["duration_us"] / 1e6, raw["p50_us"] / 1e3,
                             raw["p99_us"] / 1e3, raw["errors"])
    raise RuntimeError(f"wrk printed no summary: {out.decode()[-2000:]} {err.decode()[-2000:]}")
