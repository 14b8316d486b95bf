"""The intake service's declaration: its name, port, routes, consumers and the erasure
reconciler."""

from shared.deadletters.api import with_dead_letters
from shared.service import ServiceSpec
from shared.topology import DEFAULT_PORTS

from .api import routes
from .consumers import consumers
from .erasure import background

SPEC = ServiceSpec(name="intake", title="Runway Operator intake",
                   default_port=DEFAULT_PORTS["intake"], routers=with_dead_letters(routes),
                   consumers=consumers, background=background,
                   migrations=("services.intake:migrations/versions",))
