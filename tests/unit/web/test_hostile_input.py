"""What a hostile or broken client gets back from any Runway app: a 413/414/431 naming the
limit (an oversized body is refused before it is read, or as soon as it grows past the limit),
a 422 for malformed JSON and for values the platform cannot store, a 422 that never echoes
more than a little of a huge input, and a 500 without a stack trace.

A small app built from the same pieces as every service (shared/web), driven in-process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field

from shared.web.errors import MAX_ECHOED_CHARS, install_error_handlers
from shared.web.limits import BATCH_BODY, BodyLimitSettings, install_body_limits
from shared.web.storable import storable_values

LIMITS = BodyLimitSettings(max_request_bytes=1000, max_batch_request_bytes=5000,
                           max_url_bytes=1024, max_header_bytes=2048)


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5000)
    weight: float | None = None


def make_app() -> tuple[FastAPI, list[str]]:
    app = FastAPI(dependencies=[Depends(storable_values)])
    install_body_limits(app, LIMITS)
    install_error_handlers(app)
    handled: list[str] = []

    @app.post("/things")
    async def create(thing: Thing) -> dict[str, str]:
        handled.append(thing.name)
        return {"name": thing.name}

    @app.post("/things/batch", openapi_extra=BATCH_BODY)
    async def create_many(things: list[Thing]) -> dict[str, int]:
        handled.extend(t.name for t in things)
        return {"count": len(things)}

    @app.get("/things/{thing_id}")
    async def show(thing_id: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("connection to postgres://admin:s3cret@db failed")

    return app, handled


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    app, handled = make_app()
    # An unhandled error must become our JSON 500, not an exception in the test client.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, handled


def json_body(response: httpx.Response) -> Any:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, handled = client
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            sent.append(1)
            yield b"x" * 500

    response = await http.post("/things", content=body(),
                               headers={"content-length": "2000",
                                        "content-type": "application/json"})
    assert response.status_code == 413
    assert json_body(response) == {
        "error": "payload_too_large", "limit_bytes": 1000,
        "detail": "the request body is larger than this route's limit of 1000 bytes"}
    assert sent == [] and handled == []


async def test_a_length_over_every_routes_limit_is_refused_before_routing(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, _ = client
    response = await http.post("/no-such-route", content=b"x" * 6000)
    assert response.status_code == 413
    assert json_body(response) == {
        "error": "payload_too_large", "limit_bytes": 5000,
        "detail": "the request body is larger than any route accepts (5000 bytes)"}


async def test_a_streamed_body_is_refused_once_it_grows_past_the_limit(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, handled = client
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:  # chunked: no Content-Length
        for _ in range(1000):
            sent.append(1)
            yield b" " * 300

    response = await http.post("/things", content=endless(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert json_body(response)["error"] == "payload_too_large"
    assert json_body(response)["limit_bytes"] == 1000
    # Counted as it arrived: the fourth 300-byte chunk crossed the limit, nothing more was read.
    assert len(sent) == 4 and handled == []


async def test_a_body_within_the_limit_is_served(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, handled = client
    response = await http.post("/things", json={"name": "n" * 900})
    assert response.status_code == 200 and handled == ["n" * 900]


async def test_a_batch_route_takes_bodies_up_to_the_batch_limit_only(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, handled = client
    four_kb = [{"name": "n" * 90} for _ in range(40)]
    assert 1000 < len(json.dumps(four_kb)) < 5000
    assert (await http.post("/things/batch", json=four_kb)).status_code == 200
    assert len(handled) == 40
    too_big = await http.post("/things/batch", json=four_kb * 2)
    assert too_big.status_code == 413 and json_body(too_big)["limit_bytes"] == 5000
    # The default limit still holds on the other routes.
    assert (await http.post("/things", json={"name": "n" * 1500})).status_code == 413


async def test_a_long_url_is_414_and_huge_headers_are_431(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, _ = client
    long_url = await http.get("/things/" + "x" * 2000)
    assert long_url.status_code == 414 and json_body(long_url)["error"] == "uri_too_long"
    big_headers = await http.get("/things/1", headers={"x-junk": "y" * 3000})
    assert big_headers.status_code == 431
    assert json_body(big_headers)["error"] == "request_header_fields_too_large"


async def test_an_unexpected_error_is_a_500_without_a_stack_trace(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, _ = client
    response = await http.get("/boom")
    assert response.status_code == 500
    assert json_body(response) == {"error": "internal_error",
                                   "detail": "an internal error occurred; see the logs"}
    for leak in ("Traceback", "RuntimeError", "s3cret", ".py"):
        assert leak not in response.text


async def test_a_422_echoes_only_the_start_of_a_huge_value(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, _ = client
    response = await http.post("/things", json={"name": "n", "extra": "e" * 900})
    assert response.status_code == 422
    [problem] = json_body(response)["detail"]
    assert problem["loc"] == ["body", "extra"] and problem["type"] == "extra_forbidden"
    assert problem["input"].startswith("e" * MAX_ECHOED_CHARS)
    assert problem["input"].endswith("(900 characters in all)")
    assert len(response.content) < 600
    things = [{"name": "n" * 300}] * 2
    nested = await http.post("/things", json=things)
    [problem] = json_body(nested)["detail"]
    assert problem["input"] == f"(list of {len(json.dumps(things))} characters, not echoed)"


@pytest.mark.parametrize(("content", "content_type", "error_type"), [
    (b'{"name": "n",', "application/json", "json_invalid"),            # cut short
    (b'{"name": "\xff\xfe"}', "application/json", "json_invalid"),     # not UTF-8
    (b'{"name": "n"}', "text/plain", "model_attributes_type"),         # not declared JSON
    (b'{"name": "n"}', None, "model_attributes_type"),
])
async def test_a_body_that_is_not_json_is_a_422_naming_the_problem(
        client: tuple[httpx.AsyncClient, list[str]], content: bytes, content_type: str | None,
        error_type: str) -> None:
    http, handled = client
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/things", content=content, headers=headers)
    assert response.status_code == 422
    assert [p["type"] for p in json_body(response)["detail"]] == [error_type]
    assert handled == []


@pytest.mark.parametrize(("body", "loc", "error_type"), [
    ('{"name": "a\\u0000b"}', ["body", "name"], "string_not_storable"),
    ('{"name": "\\ud800"}', ["body", "name"], "string_not_storable"),
    ('{"name": "n", "weight": NaN}', ["body", "weight"], "number_not_finite"),
    ('{"name": "n", "weight": Infinity}', ["body", "weight"], "number_not_finite"),
    ('{"name": "n", "weight": 1e400}', ["body", "weight"], "number_not_finite"),
])
async def test_values_the_platform_cannot_store_are_a_422(
        client: tuple[httpx.AsyncClient, list[str]], body: str, loc: list[str],
        error_type: str) -> None:
    http, handled = client
    response = await http.post("/things", content=body.encode(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 422
    [problem] = json_body(response)["detail"]
    assert (problem["loc"], problem["type"]) == (loc, error_type)
    assert handled == []


async def test_a_nul_in_the_path_is_a_422(
        client: tuple[httpx.AsyncClient, list[str]]) -> None:
    http, _ = client
    response = await http.get("/things/a%00b")
    assert response.status_code == 422
    assert json_body(response)["detail"][0]["loc"] == ["path", "thing_id"]


# 2,400 levels (the batch route's larger limit) is past what Python's JSON parser recurses.
@pytest.mark.parametrize(("path", "depth"), [("/things", 40), ("/things", 450),
                                             ("/things/batch", 2400)])
async def test_deeply_nested_json_is_a_422_not_a_crash(
        client: tuple[httpx.AsyncClient, list[str]], path: str, depth: int) -> None:
    """A kilobyte of brackets must not exhaust the recursion of parsing, validation, or the
    rendering of the 422 itself."""
    http, handled = client
    body = '{"name": "x", "weight": ' + "[" * depth + "]" * depth + "}"
    response = await http.post(path, content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert json_body(response)["detail"][0]["type"] == "json_too_deep"
    assert handled == []
