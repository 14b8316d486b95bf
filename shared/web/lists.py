"""The list route a service has for an aggregate with a status: `GET <path>?status=&limit=&offset=`,
its read-model rows in one page, optionally of one status, with their count.

Judicial's cases and transport's flights wrote it as the same closure (connect, list the page,
answer the rows under their key with the count); a service now says only what differs: the
path, the route's name (the operationId `<name><path>_get`), the summary and response model,
its status enum, the key the rows are answered under and how it lists them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.service import ServiceRuntime
from shared.web.app import Runtime
from shared.web.params import Limit, Offset

Row = dict[str, Any]
# The read model's listing: (conn, status value or None, limit, offset) by keyword.
ListPage = Callable[..., Awaitable[list[Row]]]


def add_list_by_status(router: APIRouter, path: str, *, name: str, summary: str,
                       response_model: type[BaseModel], statuses: type[StrEnum], key: str,
                       load: ListPage) -> None:
    """Add `GET <path>` answering `{key: rows, "count": len(rows)}`."""
    async def listing(rt: ServiceRuntime, status: StrEnum | None, limit: int,
                      offset: int) -> Row:
        async with rt.database.connect() as conn:
            found = await _page(load, conn, status, limit, offset)
        return {key: found, "count": len(found)}

    # FastAPI reads the parameters from the signature: the runtime, then the query's filters.
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    listing.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("rt", keyword, annotation=Runtime),
        inspect.Parameter("status", keyword, default=None,
                          annotation=Annotated[Optional[statuses], Query()]),  # noqa: UP045
        inspect.Parameter("limit", keyword, default=100, annotation=Limit),
        inspect.Parameter("offset", keyword, default=0, annotation=Offset),
    ])
    listing.__name__ = listing.__qualname__ = name
    router.add_api_route(path, listing, methods=["GET"], name=name, summary=summary,
                         response_model=response_model)


async def _page(load: ListPage, conn: AsyncConnection, status: StrEnum | None, limit: int,
                offset: int) -> list[Row]:
    return await load(conn, status=None if status is None else status.value, limit=limit,
                      offset=offset)


__all__ = ["add_list_by_status"]
