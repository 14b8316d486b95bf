"""shared/topology.py is the one hand-written list of the services: it must name exactly the
packages under services/ that declare a service, in the order `make run` starts them."""

from __future__ import annotations

from shared import topology
from shared.discovery import services_with
from shared.infra.stack import discover_services


def test_the_topology_names_every_service_package_and_nothing_else() -> None:
    assert sorted(topology.SERVICES) == services_with("service")
    assert topology.CONSOLE not in topology.SERVICES


def test_make_run_starts_the_services_in_the_topology_order_on_its_ports() -> None:
    started = discover_services()

    assert [spec.name for spec in started] == list(topology.SERVICES)
    assert {spec.name: spec.default_port for spec in started} == dict(topology.DEFAULT_PORTS)
    assert topology.CONSOLE_PORT not in topology.DEFAULT_PORTS.values()
