"""Browser tests: Debian's Chromium, driven by Playwright, against a real `refdesk serve`.

One desk serves the session: `refdesk migrate`, `refdesk demo` and `refdesk serve` in a
fresh data folder on a free port. Tests share it, so each finds its own chats by id and
works with its own librarians; none relies on what another left behind.

Without /usr/bin/chromium or Playwright every test here is skipped, unless
REFDESK_REQUIRE_BROWSER=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    Contexts,
    Desk,
    copy_desk,
    expect,
    missing_browser,
    prepare_desk,
    serve_desk,
    start_desk,
    stop_desk,
)


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("REFDESK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Browser tests are required (REFDESK_REQUIRE_BROWSER=1), but {reason}.")
    pytest.skip(f"Browser tests skipped: {reason}.")


# Package scope: Playwright's sync API keeps an event loop running in this thread while
# it is open, which the asyncio tests in other folders cannot share.
@pytest.fixture(scope="package")
def demo_desk_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo desk, migrated and loaded once per test process, never served itself."""
    folder = tmp_path_factory.mktemp("demo-desk")
    prepare_desk(folder)
    return folder


@pytest.fixture(scope="module")
def desk(demo_desk_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The desk the tests of one file share, with the demo campuses and librarians: a
    fresh copy of the demo desk for each file, so that no file sees what another left
    (chats still open, blocks), whatever order or process the files run in."""
    served = serve_desk(copy_desk(demo_desk_folder, tmp_path_factory.mktemp("desk") / "data"))
    yield served
    stop_desk(served)


@pytest.fixture
def flood_desk(tmp_path: Any) -> Iterator[Desk]:
    """A desk of the test's own, for tests that flood it with hundreds of chats."""
    served = start_desk(tmp_path / "flood-desk", demo_tickets=False)
    yield served
    stop_desk(served)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def contexts(browser: Any) -> Iterator[Contexts]:
    """New browser contexts for one test, closed after it; fails on script errors."""
    made = Contexts(browser)
    yield made
    made.close()
    assert not made.problems, "Script errors or dialogs in the pages:\n" + "\n".join(made.problems)
