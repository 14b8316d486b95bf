"""Judicial's step table (api.STEPS): one row per clerk command, each going to the decision
the domain uses for it, each a route the permission matrix knows and gives to clerks only."""

from __future__ import annotations

from typing import get_args

from services.judicial import commands as cmd
from services.judicial.api import PREFIX, STEPS
from services.judicial.domain import DECISIONS
from shared.security.permissions import load_matrix


def test_every_clerk_command_has_one_row_deciding_it_as_the_domain_does() -> None:
    assert sorted(s.command.__name__ for s in STEPS) == sorted(
        c.__name__ for c in get_args(cmd.ClerkCommand))
    decisions: dict[type, object] = dict(DECISIONS)
    assert all(decisions[s.command] is s.decide for s in STEPS)
    assert len({s.path for s in STEPS}) == len({s.operation for s in STEPS}) == len(STEPS)


def test_every_step_is_a_judicial_clerk_route_in_the_permission_matrix() -> None:
    matrix = load_matrix()
    for step in STEPS:
        method, path = step.permission(PREFIX).split(" ", 1)
        rule = matrix.rule("judicial", method, path)
        assert rule is not None, f"{step.permission(PREFIX)} is not in permissions.yaml"
        assert rule.roles == ("judicial_clerk",)
