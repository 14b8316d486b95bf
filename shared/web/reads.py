"""The read route every service has: `GET <prefix>/{case_id}`, one case's read-model row or a
404 naming what was not found.

Each service wrote it as the same closure (connect, read the row, 404 when there is none,
answer it); a service now says only what differs: its summary and response model, how it
reads the row, what a missing one is called, and what it adds to the row as of the request.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.errors import NotFound
from shared.service import ServiceRuntime
from shared.web.app import Runtime
from shared.web.params import CaseIdPath

Row = dict[str, Any]
Load = Callable[[AsyncConnection, str], Awaitable[Row | None]]
# What the service adds to the stored row when it is read (court: what is overdue as of now).
Present = Callable[[Row, ServiceRuntime], Row]


def _as_stored(row: Row, _runtime: ServiceRuntime) -> Row:
    return row


def add_show(router: APIRouter, *, summary: str, response_model: type[BaseModel],
             load: Load, missing: str, present: Present = _as_stored,
             case_id: Any = CaseIdPath) -> None:
    """Add `GET /{case_id}` (operationId `show_<prefix>__case_id__get`). `case_id` is the
    path parameter's annotation (a service may publish it without a description)."""
    async def show(case_id: str, rt: ServiceRuntime) -> Row:
        async with rt.database.connect() as conn:
            found = await load(conn, case_id)
        if found is None:
            raise NotFound(missing, case_id)
        return present(found, rt)

    # FastAPI reads the parameters from the signature: the path's id, then the runtime.
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    show.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("case_id", keyword, annotation=case_id),
        inspect.Parameter("rt", keyword, annotation=Runtime),
    ])
    router.add_api_route("/{case_id}", show, methods=["GET"], name="show", summary=summary,
                         response_model=response_model)


__all__ = ["Load", "add_show"]
