"""The transport service's declaration: its name, port, routes, consumers and tables."""

from shared.deadletters.api import with_dead_letters
from shared.service import ServiceSpec

from .api import routes
from .consumers import consumers

SPEC = ServiceSpec(name="transport", title="Runway Transport scheduling", default_port=8004,
                   routers=with_dead_letters(routes), consumers=consumers,
                   migrations=("services.transport:migrations/versions",))
