"""`If-Match: <version>` on any command about a case: the version the client last read.

Every service's commands go through the aggregate repository; when the case has moved on
since that version, the append refuses with ConcurrencyConflict (HTTP 409) and nothing is
written. Without the header a command is decided on the case as it is now (the store's own
version check still stops two concurrent writers from both succeeding).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, HTTPException, Request

from shared.aggregate import expect_version


async def if_match(
    request: Request,
    if_match: Annotated[str | None, Header(description="the case version you last read")]
    = None,
) -> None:
    if if_match is None:
        return
    case_id = request.path_params.get("case_id") or request.path_params.get("flight_id")
    try:
        version = int(if_match.strip('"W/ '))
    except ValueError as error:
        raise HTTPException(422, detail=[{"loc": ["header", "if-match"], "type": "int_parsing",
                                          "msg": "If-Match must be a case version number"}]
                            ) from error
    if case_id is not None:
        expect_version(str(case_id), version)
