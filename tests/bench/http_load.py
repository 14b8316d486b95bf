"""HTTP command and read path under load: `python -m tests.bench.http_load` prints one JSON
document (progress on stderr).

Intake runs as its own process (as `runway-stack` runs it) on a fresh PostgreSQL database,
with its relay and consumers working, and wrk loads it with 32 connections over 2 threads:
    healthz                 GET /healthz: the same server's baseline (no token, no database)
    submit                  POST /cases: a national-security request, sealed and appended
    read                    GET /cases/{id}: read model, the case's stream and its opened
                            person, rotating over cases submitted beforehand
    alone                   each of the two with one connection: "one request alone"
Each figure is reported with its ratio to /healthz measured in the same run, and the submit
p99 with its ratio to the submit p50 alone.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx

from tests.bench.load import WrkResult, running_stack, say, token, wrk, wrk_script
from tests.support.requests import request

CONNECTIONS = 32
THREADS = 2
SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "15"))
ALONE_SECONDS = max(3.0, SECONDS / 3)
READ_CASES = 200
GOALS = {"submit_vs_healthz": 0.25, "read_vs_healthz": 0.6, "submit_p99_vs_alone_p50": 10.0}


def submission() -> dict[str, Any]:
    return request(basis="national_security", capital=True, district="SDCA")


async def seed_cases(base_url: str, headers: dict[str, str], count: int) -> list[str]:
    """Cases for the read load, submitted in batches over the public API."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        while len(ids) < count:
            batch = {"requests": [submission() for _ in range(min(100, count - len(ids)))]}
            answer = (await http.post("/cases/batch", json=batch)).raise_for_status().json()
            ids += [r["case_id"] for r in answer["results"] if r["outcome"] == "created"]
    return ids


async def load(base_url: str, script: str, connections: int, seconds: float) -> WrkResult:
    result = await wrk(base_url, script, connections=connections, threads=THREADS,
                       seconds=seconds)
    say(f"  {connections:>2} connections: {result.per_s:8.1f} req/s  p50 {result.p50_ms:7.2f}"
        f" ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}")
    return result


async def measure(base_url: str) -> dict[str, Any]:
    operator = {"Authorization": f"Bearer {token('bench-operator', 'operator')}"}
    post = wrk_script("POST", ["/cases"], {**operator, "Content-Type": "application/json"},
                      json.dumps(submission()))
    say(f"seeding {READ_CASES} cases for the read load")
    get = wrk_script("GET", [f"/cases/{c}" for c in await seed_cases(base_url, operator,
                                                                      READ_CASES)], operator)
    health = wrk_script("GET", ["/healthz"], {})
    await load(base_url, post, 4, 2)  # warm-up: connections, caches, the JIT-less hot paths
    say("one request alone (1 connection)")
    alone = {"submit": await load(base_url, post, 1, ALONE_SECONDS),
             "read": await load(base_url, get, 1, ALONE_SECONDS)}
    say(f"{CONNECTIONS} connections, {THREADS} threads, {SECONDS:.0f} s each")
    healthz = await load(base_url, health, CONNECTIONS, SECONDS)
    submit = await load(base_url, post, CONNECTIONS, SECONDS)
    read = await load(base_url, get, CONNECTIONS, SECONDS)
    return report(healthz, submit, read, alone)


def report(healthz: WrkResult, submit: WrkResult, read: WrkResult,
           alone: dict[str, WrkResult]) -> dict[str, Any]:
    ratios = {"submit_vs_healthz": round(submit.per_s / healthz.per_s, 3),
              "read_vs_healthz": round(read.per_s / healthz.per_s, 3),
              "submit_p99_vs_alone_p50": round(submit.p99_ms / alone["submit"].p50_ms, 2),
              "read_p99_vs_alone_p50": round(read.p99_ms / alone["read"].p50_ms, 2)}
    return {
        "load": {"generator": "wrk", "connections": CONNECTIONS, "threads": THREADS,
                 "seconds": SECONDS, "service": "intake, one process, PostgreSQL"},
        "healthz": healthz.as_dict(),
        "submit": {"route": "POST /cases", **submit.as_dict()},
        "read": {"route": "GET /cases/{id}", **read.as_dict()},
        "alone": {"submit": alone["submit"].as_dict(), "read": alone["read"].as_dict()},
        "ratios": ratios,
        "goals": GOALS,
        "meets_goals": {
            "submit_vs_healthz": ratios["submit_vs_healthz"] >= GOALS["submit_vs_healthz"],
            "read_vs_healthz": ratios["read_vs_healthz"] >= GOALS["read_vs_healthz"],
            "submit_p99_vs_alone_p50":
                ratios["submit_p99_vs_alone_p50"] <= GOALS["submit_p99_vs_alone_p50"]},
    }


async def main() -> dict[str, Any]:
    async with running_stack(["intake"]) as stack:
        return await measure(stack.url("intake"))


if __name__ == "__main__":
    print(json.dumps({"http": asyncio.run(main())}, indent=2))
