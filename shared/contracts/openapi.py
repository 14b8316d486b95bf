"""Each service's OpenAPI document, from its FastAPI app (built, never started)."""

from __future__ import annotations

from typing import Any

from shared.web.app import create_app

from .registry import ServiceContract


def openapi_document(contract: ServiceContract) -> dict[str, Any]:
    app = create_app(contract.runtime, run_background=False)
    return app.openapi()
