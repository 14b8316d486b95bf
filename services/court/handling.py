"""One way to run a decision: load the case, decide, append, project, in the caller's
transaction (a clerk's command, or a consumer's with its inbox row)."""

from __future__ import annotations

from collections.abc import Callable

from shared.aggregate import Handling
from shared.eventstore import NewEvent

from . import read_model
from .events import STREAM_TYPE
from .state import CourtCase, evolve, initial

Decision = Callable[[CourtCase], list[NewEvent]]

HANDLING: Handling[CourtCase] = Handling(STREAM_TYPE, initial, evolve, read_model.project)
repository = HANDLING.repository
run = HANDLING.run
