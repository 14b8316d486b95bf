"""Intake's answers to auditors: the request as it stood."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.audit.hooks import CaseAudit
from shared.eventstore import RecordedEvent

from . import domain


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    state = domain.initial()
    for event in events:
        state = domain.evolve(state, event)
    if state.request is None:
        return {}
    return {"version": len(events), "request": state.request.model_dump(mode="json")}


AUDIT = CaseAudit(view=view)
