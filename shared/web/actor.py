"""Who is making a request, and the metadata their command's events will carry.

The actor is the authenticated token's subject, acting under the role the permission matrix
allowed for this route (see shared/web/auth.py); `X-Correlation-Id` ties a request to events
across services.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from shared.eventstore import Actor, EventContext
from shared.security import Principal


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, and that hop (a thread wake-up and the GIL handed back and forth) cost more than the
# whole token check under load.
async def request_actor(request: Request) -> Actor:
    principal: Principal | None = getattr(request.state, "principal", None)
    role: str | None = getattr(request.state, "acting_role", None)
    if principal is None or role is None:
        # Only public routes get here unauthenticated, and they record nothing.
        raise HTTPException(401, detail="a bearer token is required")
    return Actor(subject=principal.subject, role=role)


async def request_context(
    actor: Annotated[Actor, Depends(request_actor)],
    x_correlation_id: Annotated[str | None, Header(max_length=100)] = None,
) -> EventContext:
    return EventContext(actor=actor, correlation_id=x_correlation_id or str(uuid.uuid4()))


Context = Annotated[EventContext, Depends(request_context)]
