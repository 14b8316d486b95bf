"""The permission matrix (permissions.yaml) as data: who may call which route of a service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

PUBLIC = "public"


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
                 public: Iterable[str]) -> None:
        self.roles = dict(roles)           # role -> what it is for, in precedence order
        self._rules = {service: dict(by_route) for service, by_route in rules.items()}
        self._public = frozenset(public)

    def services(self) -> list[str]:
        return list(self._rules)

    def rule(self, service: str, method: str, path: str) -> Rule | None:
        route = f"{method.upper()} {path}"
        if route in self._public:
            return Rule(method.upper(), path, (), public=True)
        return self._rules.get(service, {}).get(route)

    def rules(self, service: str) -> list[Rule]:
        return list(self._rules.get(service, {}).values())

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
    for service, routes in document["services"].items():
        rules[str(service)] = {}
        for route, allowed in routes.items():
            method, _, path = str(route).partition(" ")
            expanded = _expand(allowed, groups, roles, where=f"{service}: {route}")
            rules[str(service)][f"{method.upper()} {path}"] = Rule(method.upper(), path,
                                                                   expanded)
    public = [str(route) for route in document.get("public") or []]
    return PermissionMatrix(roles, rules, public)


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


def render_markdown(matrix: PermissionMatrix) -> str:
    """The matrix as a Markdown table per service, for docs/security.md."""
    roles = list(matrix.roles)
    lines = ["| Role | Purpose |", "|---|---|"]
    lines += [f"| `{role}` | {purpose} |" for role, purpose in matrix.roles.items()]
    lines += ["", "Public (no token): " + ", ".join(f"`{r}`" for r in matrix.public_routes())
              + ", and the API documents `/docs` and `/openapi.json`.", ""]
    short = {role: role.replace("_", " ") for role in roles}
    header = "| Route | " + " | ".join(short[r] for r in roles) + " |"
    for service in matrix.services():
        lines += [f"**{service}**", "", header, "|---" * (len(roles) + 1) + "|"]
        for rule in matrix.rules(service):
            marks = " | ".join("✓" if role in rule.roles else "" for role in roles)
            lines.append(f"| `{rule.route}` | {marks} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
