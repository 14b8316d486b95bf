"""The transport service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

SPEC = ServiceSpec(name="transport", title="Runway Transport scheduling", default_port=8004)
