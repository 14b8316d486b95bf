"""Starting the console beside the services (runway-stack up, and so `make run`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from shared import process
from shared.process import ServiceProcess
from shared.settings import ToolSettings
from shared.topology import CONSOLE_PORT

NAME = "console"


async def start(services: Iterable[ServiceProcess], log_dir: Path) -> ServiceProcess:
    """The console as a child process, told where each service answers; on port 8000, moved
    by RUNWAY_PORT_OFFSET like the services' ports."""
    urls = {f"RUNWAY_{s.name.upper()}_URL": s.url for s in services}
    port = CONSOLE_PORT + ToolSettings().port_offset
    return await process.start_service(NAME, port=port, database_url="",
                                       log=log_dir / f"{NAME}.log", env=urls)
