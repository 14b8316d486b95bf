"""One way to run a decision: load the case, decide, append, project, in the caller's
transaction (a command's, or a consumer's with its inbox row)."""

from __future__ import annotations

from collections.abc import Callable

from shared.aggregate import Handling
from shared.eventstore import NewEvent

from . import read_model
from .state import AssuranceCase, evolve, initial

STREAM_TYPE = "assurance_case"

Decision = Callable[[AssuranceCase], list[NewEvent]]

HANDLING: Handling[AssuranceCase] = Handling(STREAM_TYPE, initial, evolve, read_model.project)
repository = HANDLING.repository
run = HANDLING.run
