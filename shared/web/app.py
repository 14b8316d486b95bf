"""The FastAPI application of a service, built from its runtime (the composition root)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from shared.service import ServiceRuntime

from .concurrency import if_match
from .errors import install_error_handlers
from .metrics import ServiceMetrics


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


def create_app(runtime: ServiceRuntime, *, run_background: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_background:
            await runtime.start_background()
        try:
            yield
        finally:
            if run_background:
                await runtime.stop_background()
            await runtime.close()

    app = FastAPI(title=runtime.spec.title, lifespan=lifespan,
                  version="1.0.0", summary=f"Runway {runtime.spec.name} service",
                  dependencies=[Depends(if_match)])
    app.state.runtime = runtime
    metrics = ServiceMetrics(runtime)
    app.middleware("http")(metrics.middleware)
    install_error_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.spec.name}

    @app.get("/readyz", tags=["operations"],
             summary="The database and Kafka answer, and background work is running")
    async def readyz(rt: Runtime) -> JSONResponse:
        checks = {"database": await _database_ok(rt), "kafka": await rt.kafka_reachable(),
                  "background": not rt.background_failures()}
        ready = all(checks.values())
        return JSONResponse(status_code=200 if ready else 503,
                            content={"ready": ready, "checks": checks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    for router in runtime.spec.routers(runtime):
        app.include_router(router)
    return app


async def _database_ok(runtime: ServiceRuntime) -> bool:
    try:
        await runtime.database.ping()
    except Exception:
        return False
    return True
