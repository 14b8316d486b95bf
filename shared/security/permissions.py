"""The permission matrix (permissions.yaml) as data: who may call which route of a service."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

PUBLIC = "public"

# A service's clerk steps (shared/web/steps.py): `POST /cases/{case_id}/<step>`. A service whose
# matrix entry has a `steps:` rule gives every such route that has no rule of its own to those
# roles, so adding a row to the step table needs no second row here.
STEPS_KEY = "steps"
STEP_ROUTE = re.compile(r"^/cases/\{case_id\}/[a-z][a-z0-9-]*$")
STEP_PATTERN = "/cases/{case_id}/{step}"


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may call one route. `roles` is empty for a public route."""

    method: str
    path: str
    roles: tuple[str, ...]
    public: bool = False

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


class PermissionMatrix:
    def __init__(self, roles: Mapping[str, str], rules: Mapping[str, Mapping[str, Rule]],
                 public: Iterable[str], steps: Mapping[str, tuple[str, ...]] | None = None
                 ) -> None:
        self.roles = dict(roles)           # role -> what it is for, in precedence order
        self._rules = {service: dict(by_route) for service, by_route in rules.items()}
        self._public = frozenset(public)
        self._steps = dict(steps or {})    # service -> roles of its step-table routes

    def services(self) -> list[str]:
        return list(self._rules)

    def rule(self, service: str, method: str, path: str) -> Rule | None:
        route = f"{method.upper()} {path}"
        if route in self._public:
            return Rule(method.upper(), path, (), public=True)
        own = self._rules.get(service, {}).get(route)
        if own is None and method.upper() == "POST" and STEP_ROUTE.match(path):
            roles = self._steps.get(service)
            return Rule("POST", path, roles) if roles else None
        return own

    def rules(self, service: str) -> list[Rule]:
        return list(self._rules.get(service, {}).values())

    def step_roles(self, service: str) -> tuple[str, ...] | None:
        """Who may record the service's clerk steps, when its matrix entry has `steps:`."""
        return self._steps.get(service)

    def public_routes(self) -> list[str]:
        return sorted(self._public)

    def acting_role(self, rule: Rule, held: Iterable[str]) -> str | None:
        """The role a caller acts under for this rule: the first allowed role they hold, in
        the matrix's role order; None when no role they hold is allowed."""
        held_roles = set(held)
        return next((role for role in self.roles if role in held_roles and role in rule.roles),
                    None)


def load_matrix(text: str | None = None) -> PermissionMatrix:
    """The matrix from permissions.yaml (or the given YAML text), checked for consistency."""
    if text is None:
        text = resources.files("shared.security").joinpath("permissions.yaml").read_text(
            encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    roles: dict[str, str] = {str(k): str(v) for k, v in document["roles"].items()}
    groups = {str(name): [str(m) for m in members]
              for name, members in (document.get("groups") or {}).items()}
    rules: dict[str, dict[str, Rule]] = {}
    steps: dict[str, tuple[str, ...]] = {}
    for service, routes in document["services"].items():
        rules[str(service)] = {}
        for route, allowed in routes.items():
            expanded = _expand(allowed, groups, roles, where=f"{service}: {route}")
            if route == STEPS_KEY:
                steps[str(service)] = expanded
                continue
            method, _, path = str(route).partition(" ")
            rules[str(service)][f"{method.upper()} {path}"] = Rule(method.upper(), path,
                                                                   expanded)
    public = [str(route) for route in document.get("public") or []]
    return PermissionMatrix(roles, rules, public, steps)


def _expand(allowed: Any, groups: Mapping[str, list[str]], roles: Mapping[str, str], *,
            where: str) -> tuple[str, ...]:
    if not isinstance(allowed, list) or not allowed:
        raise ValueError(f"permissions.yaml {where}: a rule lists at least one role")
    names: list[str] = []
    for name in allowed:
        members = groups.get(str(name), [str(name)])
        for member in members:
            if member not in roles:
                raise ValueError(f"permissions.yaml {where}: unknown role {member!r}")
            if member not in names:
                names.append(member)
    return tuple(role for role in roles if role in names)


def render_markdown(matrix: PermissionMatrix,
                    step_paths: Mapping[str, Iterable[str]] | None = None) -> str:
    """The matrix as a Markdown table per service, for docs/security.md; a service's step
    routes (`step_paths`, from its API) are listed one by one before its other rules."""
    roles = list(matrix.roles)
    lines = ["| Role | Purpose |", "|---|---|"]
    lines += [f"| `{role}` | {purpose} |" for role, purpose in matrix.roles.items()]
    lines += ["", "Public (no token): " + ", ".join(f"`{r}`" for r in matrix.public_routes())
              + ", and the API documents `/docs` and `/openapi.json`.", ""]
    short = {role: role.replace("_", " ") for role in roles}
    header = "| Route | " + " | ".join(short[r] for r in roles) + " |"
    for service in matrix.services():
        lines += [f"**{service}**", "", header, "|---" * (len(roles) + 1) + "|"]
        for rule in _step_rules(matrix, service, step_paths) + matrix.rules(service):
            marks = " | ".join("✓" if role in rule.roles else "" for role in roles)
            lines.append(f"| `{rule.route}` | {marks} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _step_rules(matrix: PermissionMatrix, service: str,
                step_paths: Mapping[str, Iterable[str]] | None) -> list[Rule]:
    roles = matrix.step_roles(service)
    if roles is None:
        return []
    paths = list((step_paths or {}).get(service, ())) or [STEP_PATTERN]
    explicit = {rule.route for rule in matrix.rules(service)}
    return [Rule("POST", path, roles) for path in paths if f"POST {path}" not in explicit]
