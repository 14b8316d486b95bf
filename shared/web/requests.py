"""The building blocks of every service's request bodies.

A body forbids the fields its model does not declare: a misspelt field is a 422 that names
it, never dropped without a word (the act would be recorded without what the clerk typed).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

ChargeId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
