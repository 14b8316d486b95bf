"""Bounds on request values that every service shares, so no value reaches the code or the
database that they cannot take. Both were found by fuzzing (tests/fuzz) as 500s: an offset
beyond a 64-bit integer, and an instant whose offset puts it past year 9999 (or before year 1)
in UTC, which Python cannot represent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AwareDatetime, Field

CaseIdPath = Annotated[str, Path(min_length=1, max_length=200, description="the case's id")]

MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=1000)]  # rows in one page of a list

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
Instant = Annotated[AwareDatetime, Field(
    ge=EARLIEST, lt=LATEST,
    description="an instant with its UTC offset, from 1900 to 2199")]
