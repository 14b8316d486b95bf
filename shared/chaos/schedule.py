"""A seeded fault schedule: the same seed and size give the same faults, in the same order,
at the same offsets from the start of the workload.

Faults: SIGKILL and restart of one service replica (`replica`; `relay` picks whichever replica
of the service leads its outbox relay when the fault fires), SIGKILL and restart of one Kafka
broker (never two at once: min.insync.replicas is 2), and a restart of PostgreSQL (an
immediate stop, as a crash, then a start)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.topology import SERVICES

# Of every 100 faults: most kill service replicas (a relay leader among them), a few brokers,
# one or two PostgreSQL restarts; each of the last two stops everything for tens of seconds.
BROKER_SHARE = 0.05
POSTGRES_SHARE = 0.02
RELAY_SHARE = 0.2


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the workload starts
    kind: str  # "replica", "relay", "broker", "postgres"
    service: str = ""
    index: int = 0  # the replica (0-based) or the broker's node id

    @property
    def target(self) -> str:
        if self.kind == "broker":
            return f"broker-{self.index}"
        if self.kind == "postgres":
            return "postgresql"
        if self.kind == "relay":
            return f"{self.service} relay leader"
        return f"{self.service}-{self.index + 1}"


def build(seed: int, kills: int, *, every: float = 2.0, replicas: int = 2, brokers: int = 3,
          services: tuple[str, ...] = SERVICES) -> list[Fault]:
    """`kills` faults, one every `every` seconds on average (jittered). At least one broker
    kill and one PostgreSQL restart when `kills` is 20 or more."""
    rng = random.Random(f"faults-{seed}")
    kinds = ["replica"] * kills
    heavy = max(1, round(kills * BROKER_SHARE)) if kills >= 20 else 0
    restarts = max(1, round(kills * POSTGRES_SHARE)) if kills >= 20 else 0
    relays = round(kills * RELAY_SHARE)
    slots = rng.sample(range(kills), heavy + restarts + relays)
    for n, slot in enumerate(slots):
        kinds[slot] = "broker" if n < heavy else "postgres" if n < heavy + restarts else "relay"
    faults, at = [], 0.0
    for kind in kinds:
        at += every * rng.uniform(0.5, 1.5)
        service = rng.choice(services)
        index = rng.randrange(brokers) + 1 if kind == "broker" else rng.randrange(replicas)
        faults.append(Fault(round(at, 2), kind, "" if kind in ("broker", "postgres")
                            else service, index))
    return faults


def describe(faults: list[Fault]) -> str:
    lines = [f"{'#':>4} {'at s':>8}  {'fault':<9} target"]
    lines += [f"{n:>4} {f.at:>8.2f}  {f.kind:<9} {f.target}"
              for n, f in enumerate(faults, start=1)]
    return "\n".join(lines)
