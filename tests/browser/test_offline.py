"""With no librarian online, the ask page says so at once and shows the opening hours.

This needs a desk where no console has ever been open, so it gets one of its own.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.support import Contexts, Desk, expect, start_desk, stop_desk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quiet_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    served = start_desk(tmp_path_factory.mktemp("quiet-desk"))
    yield served
    stop_desk(served)


def test_with_nobody_online_the_ask_page_shows_the_offline_panel_with_the_hours(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    with urllib.request.urlopen(f"{quiet_desk.url}/api/campuses") as response:  # noqa: S310
        campuses = {c["slug"]: c for c in json.load(response)["campuses"]}
    assert not campuses["north"]["online"]
    hours_today = campuses["north"]["hours_today"]

    page = contexts.new(phone=True).new_page()
    page.goto(f"{quiet_desk.url}/ask/north/")
    offline = page.locator("#offline")
    expect(offline).to_be_visible()
    expect(page.locator("#prechat")).to_be_hidden()
    expect(page.locator("#offline-title")).to_have_text("No librarian is online right now")
    expect(offline).to_contain_text(f"Hours today: {hours_today}.")
    expect(page.locator(".ask-header")).to_contain_text(f"Hours today: {hours_today}")
    rows = offline.locator(".hours-table tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first.locator("th")).to_have_text("Monday")
    expect(rows.first.locator("td")).to_have_text("7:30am–11pm")

    # Trying again while nobody is online keeps the patron on the panel and says so.
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#status")).to_have_text(
        "Still no librarian online. Please try again later."
    )
    expect(offline).to_be_visible()
    expect(page.locator("#prechat")).to_be_hidden()


def test_a_chat_started_when_the_last_librarian_left_ends_on_the_offline_panel(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    # The page was loaded while the campus list answered "online" (simulated here); by the
    # time the patron sends the form, POST /api/chats answers 409 offline.
    page = contexts.new(phone=True).new_page()
    page.route(
        "**/api/campuses",
        lambda route: route.fulfill(
            json={"campuses": [{"slug": "north", "online": True, "hours_today": "?"}]}
        ),
    )
    page.goto(f"{quiet_desk.url}/ask/north/")
    expect(page.locator("#prechat")).to_be_visible()
    page.locator("#question").fill("Is the north library open on Sunday?")
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#prechat")).to_be_hidden()
    expect(page.locator("#offline-title")).to_be_focused()
    expect(page.locator(".hours-table tbody tr")).to_have_count(7)
