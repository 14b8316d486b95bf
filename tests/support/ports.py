"""Free local ports for the processes a test starts beside a developer's own."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable

# Below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel picks is one it
# may also hand to any outgoing connection before our process binds it (HAProxy, started
# last of a cluster's many processes, once found its port taken: "Address already in use").
# Ports from this range are never handed out by the kernel; handing each one out once per
# test process keeps two of our own processes apart.
_RANGE = (20000, 32000)
_given: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range, not given out before."""
    for _ in range(2000):
        port = random.randint(*_RANGE)
        if port not in _given and is_free(port):
            _given.add(port)
            return port
    raise AssertionError(f"no free port in {_RANGE}")


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
