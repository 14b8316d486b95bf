"""Judicial in-process for this folder's modules: the service on the module's store (both
stores unless a module narrows `any_store_url`) at the module's `clock`, its scheduler loop
polling every 0.05 s, and an HTTP client acting as a judicial clerk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.judicial.service import SPEC
from services.judicial.settings import JudicialSettings, configure
from shared.clock import ManualClock
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.infra import fresh_namespace
from tests.support.service_app import api_client, started_runtime


@pytest.fixture(scope="module")
def namespace() -> str:
    return fresh_namespace("tj")


@pytest.fixture
async def runtime(any_store_url: str, kafka: str, namespace: str,
                  clock: ManualClock) -> AsyncIterator[ServiceRuntime]:
    rt = await started_runtime(
        SPEC, any_store_url, kafka, clock=clock, namespace=namespace,
        configure=lambda rt: configure(rt, JudicialSettings(scheduler_interval_s=0.05)))
    yield rt
    await rt.close()


# The token is made in the fixture: a conftest is imported before the root conftest sets up
# the run's token issuer.
@pytest.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime, auth_headers("judicial_clerk", "clerk-7")) as http:
        yield http
