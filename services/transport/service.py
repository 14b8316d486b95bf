"""The transport service's declaration: its name, port, routes, consumers and tables."""

from shared.deadletters.api import with_dead_letters
from shared.service import ServiceSpec
from shared.topology import DEFAULT_PORTS

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="transport", title="Runway Transport scheduling",
                   default_port=DEFAULT_PORTS["transport"], routers=with_dead_letters(routes),
                   consumers=consumers,
                   migrations=("services.transport:migrations/versions",))
