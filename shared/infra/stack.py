"""`runway-stack up`: run every service locally as its own process until interrupted.

Kafka must be up (`make kafka-up`). Databases: PostgreSQL when DATABASE_URL is set, else the
embedded SQLite files under var/data. Each service logs to var/log/<service>.log.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import services
from shared.security import AuthSettings
from shared.security.keys import LocalIssuerKeys
from shared.service import ServiceSpec
from shared.settings import REPO_ROOT


@dataclass
class RunningService:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    url: str
    log_path: Path


def discover_services() -> list[ServiceSpec]:
    specs = []
    for module in sorted(pkgutil.iter_modules(services.__path__), key=lambda m: m.name):
        specs.append(importlib.import_module(f"services.{module.name}.service").SPEC)
    return sorted(specs, key=lambda s: s.default_port)


async def start_service(spec: ServiceSpec, log_dir: Path) -> RunningService:
    log_path = log_dir / f"{spec.name}.log"
    log_file = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{spec.name}", cwd=REPO_ROOT,
        env={**os.environ, "HTTP_PORT": str(spec.default_port)},
        stdout=log_file, stderr=log_file)
    return RunningService(spec, process, f"http://127.0.0.1:{spec.default_port}", log_path)


async def wait_ready(service: RunningService, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if service.process.returncode is not None:
                raise RuntimeError(f"{service.spec.name} exited with {service.process.returncode};"
                                   f" see {service.log_path}")
            try:
                if (await http.get(f"{service.url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{service.spec.name} not ready in time; see {service.log_path}")


async def stop_all(running: list[RunningService]) -> None:
    for service in running:
        if service.process.returncode is None:
            service.process.send_signal(signal.SIGTERM)
    for service in running:
        try:
            await asyncio.wait_for(service.process.wait(), timeout=20)
        except TimeoutError:
            service.process.kill()


async def run_scenario(running: list[RunningService]) -> None:
    from shared.demo import august_2025

    print("Running the August 2025 scenario through the public APIs\n", flush=True)
    people = await august_2025.run({s.spec.name: s.url for s in running},
                                   say=lambda line: print(line, flush=True))
    print("\n" + august_2025.summary(people) + "\n", flush=True)


async def up(hold: bool, scenario: bool = False) -> int:
    log_dir = REPO_ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgresql") \
        else "embedded SQLite (var/data)"
    print(f"Starting {len(discover_services())} services; databases: {backend}", flush=True)
    auth = AuthSettings()
    if not auth.jwks:  # no identity provider configured: the services trust the local issuer
        LocalIssuerKeys(auth.local_dir).ensure()
        print(f"Tokens: local issuer ({auth.local_dir}); e.g. "
              f"`runway token --role auditor`", flush=True)
    running = [await start_service(spec, log_dir) for spec in discover_services()]
    try:
        deadline = time.monotonic() + 90
        await asyncio.gather(*(wait_ready(s, deadline) for s in running))
        print(f"\n  {'service':<11} {'url':<24} {'docs':<30} log")
        for s in running:
            print(f"  {s.spec.name:<11} {s.url:<24} {s.url + '/docs':<30} "
                  f"{s.log_path.relative_to(REPO_ROOT)}")
        print(flush=True)
        if scenario:
            await run_scenario(running)
        if hold:
            print("All services ready. Press Ctrl-C to stop.", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        return 0
    finally:
        print("Stopping services...", flush=True)
        await stop_all(running)


def main() -> None:
    parser = argparse.ArgumentParser(prog="runway-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start every service and wait until interrupted")
    start.add_argument("--no-hold", action="store_true",
                       help="stop again once every service is ready (a smoke check)")
    start.add_argument("--scenario", action="store_true",
                       help="drive the August 2025 mass transfer once everything is ready")
    args = parser.parse_args()
    sys.exit(asyncio.run(up(hold=not args.no_hold, scenario=args.scenario)))


if __name__ == "__main__":
    main()
