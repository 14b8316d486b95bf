"""Running a service process: settings from the environment, prestart, then HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Generator

import uvicorn

from shared.legaltime import stop_unless_legal_zone
from shared.logs import configure_logging
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings

from .app import create_app

log = logging.getLogger("runway.service")


class _GracefulServer(uvicorn.Server):
    """Uvicorn re-raises SIGTERM after its graceful shutdown, so the process ends "killed by
    signal"; a stop that went well should exit 0, which is what supervisors expect."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)


async def _serve(spec: ServiceSpec) -> None:
    settings = ServiceSettings(service_name=spec.name)
    stop_unless_legal_zone(spec.name)
    configure_logging(spec.name, settings.log_level)
    runtime = ServiceRuntime(spec, settings)
    await runtime.prestart()
    port = settings.http_port or spec.default_port
    config = uvicorn.Config(create_app(runtime), host=settings.http_host, port=port,
                            log_config=None, access_log=False, lifespan="on")
    log.info("serving", extra={"port": port,
                               "database": settings.resolved_database_url().split("@")[-1]})
    await _GracefulServer(config).serve()


def run_service(spec: ServiceSpec) -> None:
    asyncio.run(_serve(spec))
