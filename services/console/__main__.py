"""`python -m services.console`: serve the console (default http://127.0.0.1:8000)."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from shared.legaltime import stop_unless_legal_zone
from shared.logs import configure_logging
from shared.web.serve import _GracefulServer

from .app import create_app
from .settings import ConsoleSettings

log = logging.getLogger("runway.console")


async def serve() -> None:
    settings = ConsoleSettings()
    configure_logging("console", settings.log_level)
    stop_unless_legal_zone("console")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per API call is noise
    config = uvicorn.Config(create_app(settings), host=settings.http_host,
                            port=settings.http_port, log_config=None, access_log=False,
                            lifespan="on",
                            # open pages hold a live-update stream each: a stop does not wait
                            # for the browsers to close them
                            timeout_graceful_shutdown=3)
    log.info("serving", extra={"port": settings.http_port, "apis": settings.service_urls()})
    await _GracefulServer(config).serve()


if __name__ == "__main__":
    asyncio.run(serve())
