"""The FastAPI application of a service, built from its runtime (the composition root)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from shared.security import TokenVerifier, load_matrix
from shared.service import ServiceRuntime

from .auth import AuthMiddleware, Security, ensure_authorized
from .concurrency import if_match
from .errors import install_error_handlers
from .limits import install_body_limits
from .metrics import MetricsMiddleware, ServiceMetrics
from .openapi_errors import document_errors
from .openapi_security import document_security
from .responses import Health, Readiness
from .routes import RouteTable
from .storable import storable_values
from .transient import TransientRetryMiddleware

log = logging.getLogger("runway.auth")


async def get_runtime(request: Request) -> ServiceRuntime:
    """Async, so FastAPI calls it on the event loop instead of sending it to a worker thread."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


def service_security(runtime: ServiceRuntime) -> Security:
    if not runtime.settings.auth.jwks:
        log.warning("trusting the local development token issuer; set RUNWAY_AUTH_JWKS to "
                    "the identity provider's key set in any shared deployment",
                    extra={"key_set": runtime.settings.auth.key_source()})
    return Security(service=runtime.spec.name, matrix=load_matrix(),
                    verifier=TokenVerifier(runtime.settings.auth))


def create_app(runtime: ServiceRuntime, *, run_background: bool = True,
               security: Security | None = None) -> FastAPI:
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
                  dependencies=[Depends(ensure_authorized), Depends(storable_values),
                                Depends(if_match)])
    app.state.runtime = runtime
    routes = RouteTable()
    security = security or service_security(runtime)
    # Innermost: a command rolled back by a deadlock or serialization failure runs again.
    app.add_middleware(TransientRetryMiddleware)
    app.add_middleware(AuthMiddleware, security=security, routes=routes)
    install_body_limits(app)  # 414/431, and 413 for what no route takes, before any token check
    metrics = ServiceMetrics(runtime)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: refusals count too
    install_error_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="The process is alive",
             response_model=Health)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.spec.name}

    @app.get("/readyz", tags=["operations"],
             summary="The database and Kafka answer, and background work is running",
             responses={200: {"model": Readiness},
                        503: {"model": Readiness, "description": "Something is not ready"}})
    async def readyz(rt: Runtime) -> JSONResponse:
        checks = {"database": await _database_ok(rt), "kafka": await rt.kafka_reachable(),
                  "background": not rt.background_failures()}
        ready = all(checks.values())
        return JSONResponse(status_code=200 if ready else 503,
                            content={"ready": ready, "checks": checks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics",
             response_class=PlainTextResponse)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes.add_routes(app.router.routes)
    for router in runtime.spec.routers(runtime):
        app.include_router(router)
        routes.add_router(router)
    security.check_covers(routes)
    document_security(app, security)
    document_errors(app)
    return app


async def _database_ok(runtime: ServiceRuntime) -> bool:
    try:
        await runtime.database.ping()
    except Exception:
        return False
    return True
