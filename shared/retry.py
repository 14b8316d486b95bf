"""Waiting and retrying, written once.

- `poll`: ask a condition again and again until it holds, giving up at a deadline (a service
  answering /readyz, a broker answering metadata, an event reaching a read model).
- `retry`: run an attempt again after the given exceptions, waiting longer each time, until the
  attempts or the deadline run out; then the last error is raised as it was.
- `Backoff`: the growing delays themselves, for loops that restart a long-running job after a
  failure (the relay, the consumers) and start again from the first delay once it recovers.
- `retry_transient`: run a whole command again after PostgreSQL's deadlock or serialization
  failure (`is_transient_database_error`), which rolled it back whole.

Time is monotonic: a wall clock set back or forward does not stretch or cut a wait.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

from shared.errors import error_chain

T = TypeVar("T")


class Deadline:
    """A moment, `seconds` from now, that bounds a wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self._at


class Backoff(Iterator[float]):
    """Delays that double from `first` up to `cap`: 0.5, 1, 2, ... 15, 15, ..."""

    def __init__(self, first: float, cap: float = float("inf"), factor: float = 2.0) -> None:
        if first <= 0 or factor < 1:
            raise ValueError("a backoff starts above zero and never shrinks")
        self.first, self.cap, self.factor = first, cap, factor
        self._next = first

    def __next__(self) -> float:
        delay = min(self._next, self.cap)
        self._next = delay * self.factor
        return delay

    def reset(self) -> None:
        """Start again from the first delay: the job recovered, a new failure is a fresh one."""
        self._next = self.first


async def poll(check: Callable[[], Awaitable[T | None]], *, within: float | Deadline,
               every: float, what: str = "a condition",
               give_up: Callable[[T | None], BaseException] | None = None) -> T:
    """Ask `check` every `every` seconds until its answer is truthy, and return that answer.

    `check` is asked at least once, and once more when the deadline arrives. Past it, the
    last answer goes to `give_up` for the error to raise (by default a TimeoutError naming
    `what`). An exception from `check` ends the wait at once: a check raises when what it
    waits for can no longer happen (the process it waits on exited)."""
    deadline = within if isinstance(within, Deadline) else Deadline(within)
    while True:
        answer = await check()
        if answer:
            return answer
        if deadline.passed():
            if give_up is not None:
                raise give_up(answer)
            raise TimeoutError(f"timed out after {deadline.seconds:g}s waiting for {what}")
        await asyncio.sleep(min(every, deadline.remaining()))


async def retry(attempt: Callable[[], Awaitable[T]], *,
                on: type[BaseException] | tuple[type[BaseException], ...],
                delays: Iterable[float], within: float | Deadline | None = None,
                on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    """Run `attempt` until it returns, waiting the next of `delays` after each failure with
    one of the `on` exceptions. When the delays run out, or the deadline has passed, the last
    failure is raised as it was; any other exception is raised at once. `on_retry` hears of
    each failure and the wait that follows (to log it)."""
    deadline = Deadline(within) if isinstance(within, float | int) else within
    waits = iter(delays)
    while True:
        try:
            return await attempt()
        except on as error:
            delay = next(waits, None)
            if delay is None or (deadline is not None and deadline.passed()):
                raise
            if on_retry is not None:
                on_retry(error, delay)
            await asyncio.sleep(delay)


# PostgreSQL's answers that mean "nothing was wrong with the command, only its timing":
# deadlock_detected and serialization_failure. The transaction was rolled back whole, so the
# command can be run again from the start (load, decide, append) and answer as it would have.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
# A few attempts, the waits growing from 50 ms (with jitter, so two commands that deadlocked
# each other do not meet again in step): about 1.5 s in all before giving up.
TRANSIENT_ATTEMPTS = 5
TRANSIENT_FIRST_DELAY_S = 0.05


def is_transient_database_error(error: BaseException) -> bool:
    """A deadlock or serialization failure, as asyncpg raises it or SQLAlchemy wraps it."""
    return any(getattr(current, "sqlstate", None) in TRANSIENT_SQLSTATES
               for current in error_chain(error))


def transient_delays(attempts: int = TRANSIENT_ATTEMPTS,
                     first: float = TRANSIENT_FIRST_DELAY_S) -> list[float]:
    """The waits between the attempts of a command that hit a transient database error:
    doubling from `first`, each stretched by up to half again at random."""
    return [first * 2 ** n * (1 + random.random() / 2) for n in range(attempts - 1)]


async def retry_transient(attempt: Callable[[], Awaitable[T]], *,
                          delays: Iterable[float] | None = None,
                          on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    """Run a whole command (its own transaction) again after a deadlock or serialization
    failure; any other error, or the last transient one, is raised as it was."""
    waits = iter(transient_delays() if delays is None else delays)
    while True:
        try:
            return await attempt()
        except Exception as error:
            delay = next(waits, None) if is_transient_database_error(error) else None
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(error, delay)
            await asyncio.sleep(delay)
