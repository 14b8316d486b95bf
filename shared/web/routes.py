"""The routes of an app with their full path templates, matched the
way the router matches them, so middleware can tell which route a request is for before the
router runs: to authorise it, and to label metrics with the template instead of the raw path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    method: str
    path: str
    pattern: re.Pattern[str]


class RouteTable:
    def __init__(self) -> None:
        self._templates: list[RouteTemplate] = []

    def add_routes(self, routes: Iterable[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                path = route.path  # an APIRouter's routes carry its prefix already
                pattern = compile_path(path)[0]
                self._templates += [RouteTemplate(method, path, pattern)
                                    for method in sorted(route.methods or ())]

    def add_router(self, router: APIRouter) -> None:
        self.add_routes(router.routes)

    def templates(self) -> Sequence[RouteTemplate]:
        return tuple(self._templates)

    def match(self, method: str, path: str) -> RouteTemplate | None:
        """The first route, in registration order, for this method and concrete path."""
        for template in self._templates:
            if template.method == method and template.pattern.match(path):
                return template
        return None
