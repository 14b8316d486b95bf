"""The court service's declaration: its name, port, routes and consumers."""

from shared.deadletters.api import with_dead_letters
from shared.service import ServiceSpec
from shared.topology import DEFAULT_PORTS

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="court", title="Runway US court intake",
                   default_port=DEFAULT_PORTS["court"], routers=with_dead_letters(routes),
                   consumers=consumers,
                   migrations=("services.court:migrations/versions",))
