"""Errors the event store raises; the web layer maps them to HTTP status codes."""

from __future__ import annotations


class EventStoreError(Exception):
    pass


class ConcurrencyConflict(EventStoreError):
    """The stream is not at the version the writer expected: someone else wrote first."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int | None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        actual = "unknown (a concurrent writer)" if actual_version is None else actual_version
        super().__init__(
            f"stream {stream_id!r}: expected version {expected_version}, actual {actual}"
        )


class StreamNotFound(EventStoreError):
    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(f"stream {stream_id!r} does not exist")
