"""The step-route table: a service's clerk steps as rows, registered on a router by one function.

A *step* is `POST <prefix>/{case_id}/<step>` with the step's command as the body: one
transaction that loads the case, decides, appends and projects (the service's `handle`). The
routes of such a service differ only in the row: its path, the command model, the route's name
(which FastAPI turns into the operationId, `<name>_<path>_post`), the summary, the decision
the command goes to, and the response model. Writing each as its own closure repeated the same
eight lines fourteen times; a table keeps them in one place, and `Step.permission` is the key
the permission matrix (shared/security/permissions.yaml) knows the route by.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from shared.eventstore import EventContext
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.params import CaseIdPath


@dataclass(frozen=True)
class Step:
    """One clerk step: a row of a service's step table."""

    path: str                           # under the router's prefix: "/{case_id}/hearing"
    command: type[BaseModel]            # the request body, and the command decided on
    operation: str                      # the route's name: operationId "<name>_<path>_post"
    summary: str
    decide: Callable[..., Any]          # the service's decision for this command
    response_model: type[BaseModel]

    def permission(self, prefix: str) -> str:
        """The route as the permission matrix names it: "POST /cases/{case_id}/hearing"."""
        return f"POST {prefix}{self.path}"


# What a service does with a step: load the case, run `step.decide`, append, project; it
# answers with the response model's fields.
Handler = Callable[[ServiceRuntime, str, Any, EventContext, Step], Awaitable[dict[str, Any]]]


def _endpoint(step: Step, handle: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def endpoint(case_id: str, body: Any, rt: ServiceRuntime,
                       context: EventContext) -> dict[str, Any]:
        return await handle(rt, case_id, body, context, step)

    # FastAPI reads the parameters from the signature: the row's command is the body model.
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("case_id", keyword, annotation=CaseIdPath),
        inspect.Parameter("body", keyword, annotation=step.command),
        inspect.Parameter("rt", keyword, annotation=Runtime),
        inspect.Parameter("context", keyword, annotation=Context),
    ])
    endpoint.__name__ = endpoint.__qualname__ = step.operation
    return endpoint


def register(router: APIRouter, steps: Iterable[Step], handle: Handler) -> None:
    """Add one POST route per row, in the table's order."""
    for step in steps:
        if "{case_id}" not in step.path:
            raise ValueError(f"step {step.operation}: its path {step.path!r} names no case")
        router.add_api_route(step.path, _endpoint(step, handle), methods=["POST"],
                             name=step.operation, summary=step.summary,
                             response_model=step.response_model)


__all__ = ["Handler", "Step", "register"]
