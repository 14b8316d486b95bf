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
    # The path's parameters, in the path's order, with the annotation FastAPI validates each
    # by: a case's step names its case; a step on another stream (transport's flight) its own.
    ids: tuple[tuple[str, Any], ...] = (("case_id", CaseIdPath),)
    status_code: int = 200              # 201 where the step records a new thing (a request)
    takes_body: bool = True             # False: the path is the whole command (no body)

    def permission(self, prefix: str) -> str:
        """The route as the permission matrix names it: "POST /cases/{case_id}/hearing"."""
        return f"POST {prefix}{self.path}"


# What a service does with a step: load the case, run `step.decide`, append, project; it
# answers with the response model's fields.
Handler = Callable[[ServiceRuntime, str, Any, EventContext, Step], Awaitable[dict[str, Any]]]


# The same for a step whose path names more than a case: it gets every path parameter by name
# (transport's removal: {"flight_id": …, "case_id": …}).
PathHandler = Callable[[ServiceRuntime, dict[str, str], Any, EventContext, Step],
                       Awaitable[dict[str, Any]]]


def _endpoint(step: Step, handle: PathHandler) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def endpoint(rt: ServiceRuntime, context: EventContext, body: Any = None,
                       **ids: str) -> dict[str, Any]:
        return await handle(rt, ids, body, context, step)

    # FastAPI reads the parameters from the signature: the path's ids, then the row's command
    # as the body model.
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        *(inspect.Parameter(name, keyword, annotation=annotation)
          for name, annotation in step.ids),
        *([inspect.Parameter("body", keyword, annotation=step.command)]
          if step.takes_body else []),
        inspect.Parameter("rt", keyword, annotation=Runtime),
        inspect.Parameter("context", keyword, annotation=Context),
    ])
    endpoint.__name__ = endpoint.__qualname__ = step.operation
    return endpoint


def register_by_path(router: APIRouter, steps: Iterable[Step], handle: PathHandler) -> None:
    """Add one POST route per row, in the table's order; `handle` gets the path's ids."""
    for step in steps:
        for name, _annotation in step.ids:
            if f"{{{name}}}" not in step.path:
                raise ValueError(f"step {step.operation}: its path {step.path!r} names no "
                                 f"{name}")
        router.add_api_route(step.path, _endpoint(step, handle), methods=["POST"],
                             name=step.operation, summary=step.summary,
                             response_model=step.response_model,
                             status_code=step.status_code)


def register(router: APIRouter, steps: Iterable[Step], handle: Handler) -> None:
    """Add one POST route per row, in the table's order: a case's steps, `handle` gets its id."""
    async def by_case(rt: ServiceRuntime, ids: dict[str, str], body: Any,
                      context: EventContext, step: Step) -> dict[str, Any]:
        return await handle(rt, ids["case_id"], body, context, step)

    steps = tuple(steps)
    for step in steps:
        if "{case_id}" not in step.path:
            raise ValueError(f"step {step.operation}: its path {step.path!r} names no case")
    register_by_path(router, steps, by_case)


__all__ = ["Handler", "PathHandler", "Step", "register", "register_by_path"]
