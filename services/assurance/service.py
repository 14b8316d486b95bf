"""The assurance service's declaration: its name, port, routes and consumers."""

from shared.service import ServiceSpec

from .api import routes
from .consumers import consumers
from .settings import AssuranceSettings

SPEC = ServiceSpec(
    name="assurance",
    title="Runway Death-penalty assurance",
    default_port=8003,
    # Service settings are read here, when the runtime builds its routes: not at import.
    routers=lambda runtime: routes(runtime, AssuranceSettings()),
    consumers=consumers,
    migrations=["services.assurance:migrations/versions"],
)
