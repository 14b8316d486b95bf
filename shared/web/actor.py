"""Who is making a request, and the metadata their command's events will carry.

Until bearer-token authentication lands (issue 7), the actor is taken from the `X-Actor` and
`X-Actor-Role` headers; `X-Correlation-Id` ties a request to events across services.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header

from shared.eventstore import Actor, EventContext


def request_context(
    x_actor: Annotated[str | None, Header(max_length=200)] = None,
    x_actor_role: Annotated[str | None, Header(max_length=100)] = None,
    x_correlation_id: Annotated[str | None, Header(max_length=100)] = None,
) -> EventContext:
    return EventContext(
        actor=Actor(subject=x_actor or "anonymous", role=x_actor_role or "unauthenticated"),
        correlation_id=x_correlation_id or str(uuid.uuid4()),
    )


Context = Annotated[EventContext, Depends(request_context)]
