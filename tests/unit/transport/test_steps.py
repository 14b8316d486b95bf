"""Transport's step table (api.STEPS): one row per step on a scheduled flight, each a route
the permission matrix knows and gives to transport officers only."""

from __future__ import annotations

from services.transport.api import STEPS
from shared.security.permissions import load_matrix


def test_every_row_is_its_own_route_with_its_own_name() -> None:
    assert len({s.path for s in STEPS}) == len({s.operation for s in STEPS}) == len(STEPS)
    assert all(s.path.startswith("/flights/{flight_id}/") for s in STEPS)


def test_every_step_is_a_transport_officer_route_in_the_permission_matrix() -> None:
    matrix = load_matrix()
    for step in STEPS:
        method, path = step.permission("").split(" ", 1)
        rule = matrix.rule("transport", method, path)
        assert rule is not None, f"{step.permission('')} is not in permissions.yaml"
        assert rule.roles == ("transport_officer",)
