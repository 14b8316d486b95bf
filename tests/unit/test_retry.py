"""shared.retry: polling until a deadline, retrying with backoff, and the backoff itself."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from shared.retry import Backoff, Deadline, poll, retry


def test_backoff_doubles_up_to_its_cap_and_starts_over_when_reset() -> None:
    backoff = Backoff(0.5, cap=3.0)
    assert list(itertools.islice(backoff, 5)) == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert next(backoff) == 0.5


def test_a_backoff_that_would_never_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="above zero"):
        Backoff(0)


async def test_poll_returns_the_first_truthy_answer() -> None:
    answers = iter([None, None, {"status": "ready"}])

    async def check() -> dict[str, str] | None:
        return next(answers)

    assert await poll(check, within=5, every=0.001) == {"status": "ready"}


async def test_poll_gives_up_at_the_deadline_naming_what_it_waited_for() -> None:
    asked = 0

    async def never() -> bool:
        nonlocal asked
        asked += 1
        return False

    with pytest.raises(TimeoutError, match="waiting for the flight to land"):
        await poll(never, within=0.05, every=0.01, what="the flight to land")
    assert asked >= 2  # asked again at the deadline, not only once


async def test_poll_hands_the_last_answer_to_give_up() -> None:
    async def status() -> str:
        return ""

    with pytest.raises(AssertionError, match="last answer ''"):
        await poll(status, within=Deadline(0), every=0.01,
                   give_up=lambda last: AssertionError(f"last answer {last!r}"))


async def test_an_exception_from_the_check_ends_the_wait_at_once() -> None:
    async def exited() -> bool:
        raise RuntimeError("the service exited")

    with pytest.raises(RuntimeError, match="exited"):
        await poll(exited, within=60, every=10)


async def test_retry_returns_once_an_attempt_succeeds_and_reports_each_wait() -> None:
    failures = iter([ConnectionError("refused"), ConnectionError("refused")])
    heard: list[tuple[str, float]] = []

    async def connect() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "connected"

    result = await retry(connect, on=ConnectionError, delays=Backoff(0.001),
                         on_retry=lambda error, delay: heard.append((str(error), delay)))
    assert result == "connected"
    assert heard == [("refused", 0.001), ("refused", 0.002)]


# Each call fails the same way; how many attempts retry makes before the failure reaches the
# caller: one more than the delays it is given, one once the deadline has passed, one for an
# exception it was not told to retry (a bug, not an outage).
GIVING_UP = [
    pytest.param(PermissionError("still in use"), PermissionError, dict(delays=[0.001, 0.001]),
                 3, id="the_delays_run_out"),
    pytest.param(OSError("down"), OSError,
                 dict(delays=itertools.repeat(0.001), within=0.0), 1, id="at_the_deadline"),
    pytest.param(KeyError("a bug, not an outage"), OSError,
                 dict(delays=itertools.repeat(0.001)), 1, id="on_other_exceptions"),
]


@pytest.mark.parametrize(("failure", "on", "limits", "attempts_made"), GIVING_UP)
async def test_retry_gives_up_and_raises_the_last_failure(
        failure: Exception, on: type[Exception], limits: dict[str, Any],
        attempts_made: int) -> None:
    attempts = 0

    async def failing() -> None:
        nonlocal attempts
        attempts += 1
        raise type(failure)(f"{failure.args[0]} ({attempts})")

    with pytest.raises(type(failure), match=rf"\({attempts_made}\)"):
        await retry(failing, on=on, **limits)
    assert attempts == attempts_made
