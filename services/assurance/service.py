"""The assurance service's declaration: its name, port, routes and consumers."""

from shared.deadletters.api import with_dead_letters
from shared.service import ServiceSpec
from shared.topology import DEFAULT_PORTS

from .api import routes
from .consumers import consumers
from .settings import AssuranceSettings

SPEC = ServiceSpec(
    name="assurance",
    title="Runway Death-penalty assurance",
    default_port=DEFAULT_PORTS["assurance"],
    # Service settings are read here, when the runtime builds its routes: not at import.
    routers=with_dead_letters(lambda runtime: routes(runtime, AssuranceSettings())),
    consumers=consumers,
    migrations=["services.assurance:migrations/versions"],
)
