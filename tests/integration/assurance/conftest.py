"""The assurance service in-process (on the store of `any_store_url` and real Kafka) at each
test module's `clock`, and an assurance officer's HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.assurance.service import SPEC
from shared.clock import ManualClock
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.service_app import api_client, started_runtime


@pytest.fixture
async def runtime(any_store_url: str, kafka: str, clock: ManualClock) -> ServiceRuntime:
    return await started_runtime(SPEC, any_store_url, kafka, clock=clock)


# The token is made in the fixture: a conftest is imported before the root conftest sets
# up the run's token issuer.
@pytest.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime, auth_headers("assurance_officer", "officer-4")) as http:
        yield http
