"""The intake service in-process (on the store of `any_store_url` and real Kafka), and an
operator's HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.intake.service import SPEC
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.service_app import api_client, started_runtime


@pytest.fixture
async def runtime(any_store_url: str, kafka: str) -> AsyncIterator[ServiceRuntime]:
    rt = await started_runtime(SPEC, any_store_url, kafka)
    yield rt
    await rt.close()


# The token is made in the fixture: a conftest is imported before the root conftest sets
# up the run's token issuer.
@pytest.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime, auth_headers("operator", "op-17")) as http:
        yield http
