"""What each service offers the platform, found by convention: `services/<name>/<module>.py`.

A new service is picked up on its own: its rule book (`rules`), its events' legal times
(`events`), its auditor's hooks (`audit`) and its process spec (`service`) are found here,
never listed by hand. The console, a web UI with none of these, is simply not found.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from types import ModuleType


def services_with(module: str) -> list[str]:
    """The names of the services that have a `module`, sorted; nothing is imported but the
    service packages."""
    import services

    return sorted(info.name for info in pkgutil.iter_modules(services.__path__)
                  if info.ispkg
                  and importlib.util.find_spec(f"services.{info.name}.{module}") is not None)


def service_modules(module: str) -> dict[str, ModuleType]:
    """`services.<name>.<module>` of every service that has one, by service name (sorted). An
    error raised while importing one is not hidden."""
    return {name: importlib.import_module(f"services.{name}.{module}")
            for name in services_with(module)}
