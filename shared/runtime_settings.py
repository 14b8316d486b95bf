"""A service's own settings, read from the environment once per runtime, lazily (never at
import time); a test hands a runtime its own with `configure` before using it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from shared.service import ServiceRuntime

S = TypeVar("S")


def per_runtime(read: Callable[[], S]) -> tuple[Callable[[ServiceRuntime, S], None],
                                                Callable[[ServiceRuntime], S]]:
    """`configure(runtime, settings)` and `settings_of(runtime)` for one settings class."""
    known: WeakKeyDictionary[ServiceRuntime, S] = WeakKeyDictionary()

    def configure(runtime: ServiceRuntime, settings: S) -> None:
        known[runtime] = settings

    def settings_of(runtime: ServiceRuntime) -> S:
        found = known.get(runtime)
        if found is None:
            found = known[runtime] = read()
        return found

    return configure, settings_of
