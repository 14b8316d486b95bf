"""Free local ports for the processes a test starts beside a developer's own."""

from __future__ import annotations

import socket
from collections.abc import Iterable


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_offset(ports: Iterable[int]) -> int:
    """A RUNWAY_PORT_OFFSET that puts every one of `ports` on a free port."""
    wanted = list(ports)
    for offset in range(21000, 56000, 997):
        if all(is_free(port + offset) for port in wanted):
            return offset
    raise AssertionError(f"no offset puts {wanted} on free ports")
