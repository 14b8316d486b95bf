"""The transport service's declaration: its name, port, routes, consumers and tables."""

from shared.service import ServiceSpec

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="transport", title="Runway Transport scheduling", default_port=8004,
                   routers=routes, consumers=consumers,
                   migrations=("services.transport:migrations/versions",))
