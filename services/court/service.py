"""The court service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="court", title="Runway US court intake", default_port=8005,
                   routers=routes, consumers=consumers,
                   migrations=("services.court:migrations/versions",))
