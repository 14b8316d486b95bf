"""Body limits over a real HTTP connection (uvicorn, as services run): a client announcing an
oversized body gets its 413 without sending a byte of it, and a chunked upload is cut off soon
after it passes the limit, not read to the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from shared.web.errors import install_error_handlers
from shared.web.limits import BodyLimitSettings, install_body_limits

LIMIT = 64 * 1024
CHUNK = 16 * 1024


class Note(BaseModel):
    text: str


def limited_app() -> FastAPI:
    app = FastAPI()
    install_body_limits(app, BodyLimitSettings(max_request_bytes=LIMIT))
    install_error_handlers(app)

    @app.post("/notes")
    async def add(note: Note) -> dict[str, int]:
        return {"length": len(note.text)}

    return app


@pytest.fixture
async def port() -> AsyncIterator[int]:
    # Listening before uvicorn starts: a client's connection waits in the backlog until then.
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(limited_app(), log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield sock.getsockname()[1]
    server.should_exit = True
    await task


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return status, json.loads(await reader.readexactly(length))


async def test_an_announced_oversized_body_is_refused_before_it_is_sent(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /notes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: 1048576\r\n\r\n")  # 1 MiB announced, none sent
    await writer.drain()
    async with asyncio.timeout(5):
        status, body = await read_response(reader)
    assert status == 413
    assert body["error"] == "payload_too_large" and body["limit_bytes"] == LIMIT
    writer.close()


async def test_a_chunked_upload_is_cut_off_soon_after_the_limit(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /notes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"transfer-encoding: chunked\r\n\r\n")
    sent = 0
    response = asyncio.create_task(read_response(reader))
    with contextlib.suppress(ConnectionError):  # the server may close on us mid-upload
        while not response.done() and sent < 100 * LIMIT:
            writer.write(b"%x\r\n%s\r\n" % (CHUNK, b" " * CHUNK))
            await writer.drain()
            sent += CHUNK
            await asyncio.sleep(0)  # let the response, if any, arrive
    async with asyncio.timeout(5):
        status, body = await response
    assert status == 413 and body["limit_bytes"] == LIMIT
    # Socket buffers hold some of what we wrote; the server read only up to the limit.
    assert sent < 50 * LIMIT
    writer.close()


async def test_a_body_under_the_limit_is_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps({"text": "t" * (LIMIT // 2)}).encode()
    writer.write(b"POST /notes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: %d\r\n\r\n%s" % (len(payload), payload))
    await writer.drain()
    async with asyncio.timeout(5):
        status, body = await read_response(reader)
    assert (status, body) == (200, {"length": LIMIT // 2})
    writer.close()
