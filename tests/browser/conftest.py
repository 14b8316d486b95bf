"""Browser tests: Playwright for Python driving Debian's Chromium against the real stack.

No browser is downloaded: the tests launch /usr/bin/chromium (BROWSER_EXECUTABLE overrides),
which .ci/run installs. Without it a developer's run skips these tests; under CI (CI=true) a
missing browser fails them, so a green CI always means the pages ran in a browser.
A failing test leaves a screenshot of its page in var/log/browser/.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from shared.settings import REPO_ROOT
from shared.topology import SERVICES
from tests.browser.stack import (
    Console,
    start_audit,
    start_console,
    stop_audit,
    stop_console,
)
from tests.support.stack import Stack

SCREENSHOTS = REPO_ROOT / "var" / "log" / "browser"
# Every wait in these tests is a condition with this deadline (sized for a slow CI machine).
DEADLINE_MS = 20_000


def chromium() -> Path:
    path = Path(os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium"))
    if not path.exists():
        message = (f"no browser at {path}: install Debian's chromium "
                   "(apt-get install -y chromium), as .ci/run does")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call":
        item.stash[OUTCOME] = report
    return report


OUTCOME = pytest.StashKey[pytest.TestReport]()


@pytest.fixture(scope="module")
async def stack(pg_server: str, kafka: str) -> AsyncIterator[Stack]:
    chromium()  # no browser: fail (CI) or skip before starting anything
    running = Stack(pg_server, kafka)
    try:
        await running.start(SERVICES, env={"SCHEDULER_INTERVAL_S": "0.2"})
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="module")
async def console(stack: Stack) -> AsyncIterator[Console]:
    audit = await start_audit(stack)
    try:
        started = await start_console(stack, audit)
        try:
            yield started
        finally:
            await stop_console(started)
    finally:
        await stop_audit(audit)


@pytest.fixture(scope="module")
async def browser(stack: Stack) -> AsyncIterator[Browser]:
    # An expectation waits as long as any other wait here (Playwright's default is 5 s: too
    # short on a loaded machine for an event to reach a page through Kafka and intake).
    expect.set_options(timeout=DEADLINE_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium()), headless=True,
            # root (CI, containers) cannot use Chromium's sandbox; a container's small
            # /dev/shm crashes its renderer
            args=[*(["--no-sandbox"] if os.geteuid() == 0 else []),
                  "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="en-US")
    opened = await context.new_page()
    opened.set_default_timeout(DEADLINE_MS)
    try:
        yield opened
    finally:
        report = request.node.stash.get(OUTCOME, None)
        if report is not None and report.failed:
            await screenshots(browser, request.node.name)
        for other in browser.contexts:  # the test's other users' windows too
            await other.close()


async def screenshots(browser: Browser, name: str) -> None:
    """Every window the test had open (one user each), as it was when the test failed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, context in enumerate(browser.contexts):
        for m, window in enumerate(context.pages):
            await window.screenshot(path=str(SCREENSHOTS / f"{name}-{n}{m}.png"),
                                    full_page=True)
