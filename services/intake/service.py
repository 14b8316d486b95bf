"""The intake service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

SPEC = ServiceSpec(name="intake", title="Runway Operator intake", default_port=8001)
