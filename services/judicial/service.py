"""The judicial service's declaration: its name, port, routes, consumers and scheduler."""

from collections.abc import Sequence

from shared.deadletters.api import with_dead_letters
from shared.service import BackgroundTask, ServiceRuntime, ServiceSpec
from shared.topology import DEFAULT_PORTS

from .api import routes
from .consumers import consumers
from .scheduler import scheduler_loop


def background(runtime: ServiceRuntime) -> Sequence[BackgroundTask]:
    return [scheduler_loop(runtime)]


SPEC = ServiceSpec(name="judicial", title="Runway Judicial approval",
                   default_port=DEFAULT_PORTS["judicial"], routers=with_dead_letters(routes),
                   consumers=consumers, background=background,
                   migrations=("services.judicial:migrations/versions",))
