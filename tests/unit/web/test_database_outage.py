"""A command cut off by PostgreSQL restarting answers 503 "try again", not 500 (found by the
chaos harness, shared/chaos: custody and landing commands in flight during a restart)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from shared.web.errors import database_unavailable, install_error_handlers


def cut_off() -> sa_exc.DBAPIError:
    """What SQLAlchemy raises when the server closes the connection under a statement."""
    lost = asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation")
    return sa_exc.DBAPIError("SELECT 1", {}, lost)


def test_a_lost_or_refused_connection_is_an_outage_a_bug_is_not() -> None:
    assert database_unavailable(cut_off())
    assert database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert database_unavailable(asyncpg.exceptions.CannotConnectNowError(
        "the database system is starting up"))
    assert not database_unavailable(ValueError("a bug"))
    assert not database_unavailable(KeyError("case"))


@pytest.mark.parametrize(("raised", "status"), [(cut_off(), 503), (ValueError("bug"), 500)])
async def test_the_client_is_told_to_try_again_only_for_an_outage(
        raised: Exception, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/command")
    async def command() -> None:
        raise raised

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.post("/command")
    assert answer.status_code == status
    if status == 503:
        assert answer.json()["error"] == "database_unavailable"
        assert answer.headers["Retry-After"] == "1"
