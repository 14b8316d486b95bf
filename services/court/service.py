"""The court service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

SPEC = ServiceSpec(name="court", title="Runway US court intake", default_port=8005)
