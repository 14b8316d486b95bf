"""The judicial service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

SPEC = ServiceSpec(name="judicial", title="Runway Judicial approval", default_port=8002)
