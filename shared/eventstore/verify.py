"""Checks a stream's integrity: contiguous versions and an unbroken hash chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .events import RecordedEvent
from .hashing import GENESIS, expected_hash


@dataclass(frozen=True, slots=True)
class IntegrityProblem:
    stream_id: str
    version: int
    event_id: str
    problem: str

    def __str__(self) -> str:
        return (f"stream {self.stream_id} version {self.version} (event {self.event_id}): "
                f"{self.problem}")


def verify_stream(events: Sequence[RecordedEvent]) -> list[IntegrityProblem]:
    """Every problem found in one stream's events, given in version order."""
    problems: list[IntegrityProblem] = []
    prev_hash = GENESIS
    for expected_version, event in enumerate(events, start=1):
        def report(problem: str, event: RecordedEvent = event) -> None:
            problems.append(IntegrityProblem(event.stream_id, event.version,
                                             str(event.event_id), problem))

        if event.version != expected_version:
            report(f"version gap: expected version {expected_version}")
        if event.prev_hash != prev_hash:
            report("prev_hash does not match the previous event's hash")
        if event.hash != expected_hash(event):
            report("hash does not match the event's content (altered after it was written)")
        prev_hash = event.hash
    return problems
