"""Runway's services, in the order a case passes through them, and the port each listens on
by default (`make run`; RUNWAY_PORT_OFFSET and `make cluster` move them together).

The one hand-written list of them: what must know the services without importing them (the
`runway` commands, the console, the cluster and chaos runners, the auditor) reads it here, and
each service's ServiceSpec takes its port from it. tests/unit/test_topology.py holds it equal
to the service packages found under services/ (shared/discovery).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

DEFAULT_PORTS: Final[Mapping[str, int]] = MappingProxyType({
    "intake": 8001, "judicial": 8002, "assurance": 8003, "transport": 8004, "court": 8005})
SERVICES: Final[tuple[str, ...]] = tuple(DEFAULT_PORTS)

# The web UI for the people who carry the cases: not a service (no events, no store).
CONSOLE: Final = "console"
CONSOLE_PORT: Final = 8000


def default_url(service: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[service]}"
