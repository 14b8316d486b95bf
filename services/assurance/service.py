"""The assurance service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

SPEC = ServiceSpec(name="assurance", title="Runway Death-penalty assurance", default_port=8003)
