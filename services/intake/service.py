"""The intake service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="intake", title="Runway Operator intake", default_port=8001,
                   routers=routes, consumers=consumers,
                   migrations=("services.intake:migrations/versions",))
