"""Process plumbing shared by every long-running Runway process."""

from __future__ import annotations

import asyncio
import signal


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT ask for a graceful stop: work in hand finishes, nothing new starts."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
