"""With no librarian online, the ask page says so at once, shows the opening hours and
takes the question as a ticket, which every console lists at once.

This needs a desk where no console has ever been open, so it gets one of its own.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import Contexts, Desk, expect, log_in, start_desk, stop_desk

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


# --- the ticket form -----------------------------------------------------------

HOSTILE_NAME = "Kim <b>Lee</b>"
HOSTILE_QUESTION = "<script>alert('t')</script><img src=x onerror=alert(2)> '; DROP TABLE x; --"


def offline_page(contexts: Contexts, desk: Desk) -> Any:
    page = contexts.new(phone=True).new_page()
    page.goto(f"{desk.url}/ask/north/")
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#ticket")).to_be_visible()
    return page


def send_ticket(page: Any) -> Any:
    """Press the form's button; returns the POST /api/tickets response."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/tickets") and r.request.method == "POST"
    ) as answered:
        page.get_by_role("button", name="Send question").click()
    return answered.value


def test_the_ticket_form_takes_what_the_patron_typed_into_the_chat_form(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new(phone=True).new_page()
    page.route(
        "**/api/campuses",
        lambda route: route.fulfill(
            json={"campuses": [{"slug": "north", "online": True, "hours_today": "?"}]}
        ),
    )
    page.goto(f"{quiet_desk.url}/ask/north/")
    page.locator("#name").fill("where are the study rooms")
    page.locator("#email").fill("kim@example.edu")
    page.locator("#question").fill("And can I book one?")
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator("#offline")).to_be_visible()
    # The name box held a question: it goes with the question, as the chat would have had it.
    expect(page.locator("#ticket-name")).to_have_value("")
    expect(page.locator("#ticket-email")).to_have_value("kim@example.edu")
    expect(page.locator("#ticket-question")).to_have_value(
        "where are the study rooms\nAnd can I book one?"
    )
    # The hours and the way back to a chat are still there.
    expect(page.locator(".hours-table tbody tr")).to_have_count(7)
    expect(page.get_by_role("button", name="Try again")).to_be_visible()


def test_a_ticket_form_with_mistakes_says_what_is_wrong_next_to_each_field(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    page = offline_page(contexts, quiet_desk)
    page.get_by_role("button", name="Send question").click()
    question = page.locator("#ticket-question")
    expect(question).to_be_focused()
    expect(question).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ticket-question-error")).to_have_text("Please type your question.")
    expect(question).to_have_accessible_description("Please type your question.")
    expect(page.locator("#ticket-status")).to_contain_text("Your question was not sent.")

    question.fill("Can I renew a laptop loan?")
    page.get_by_role("button", name="Send question").click()
    email = page.locator("#ticket-email")
    expect(email).to_be_focused()
    expect(page.locator("#ticket-email-error")).to_have_text(
        "Please give your email address, so that we can answer you."
    )
    expect(question).not_to_have_attribute("aria-invalid", "true")

    # An address only the server can tell is wrong: its answer goes to the same place.
    email.fill("kim<b>@example.edu")
    response = send_ticket(page)
    assert response.status == 400
    expect(page.locator("#ticket-email-error")).to_have_text(
        "That email address does not look right."
    )
    expect(email).to_have_accessible_description(
        "We'll send the answer here. That email address does not look right."
    )
    expect(page.locator("#ticket-done")).to_be_hidden()


def test_a_fourth_ticket_from_one_browser_is_refused_with_when_to_try_again(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    page = offline_page(contexts, quiet_desk)
    page.locator("#ticket-email").fill("pat@example.edu")
    for number in range(1, 4):
        page.locator("#ticket-question").fill(f"Question number {number}")
        assert send_ticket(page).status == 201
        expect(page.locator("#ticket-done-text")).to_have_text(
            "Thanks — we'll email you at pat@example.edu."
        )
        page.get_by_role("button", name="Send another question").click()
        expect(page.locator("#ticket-question")).to_be_focused()
        expect(page.locator("#ticket-question")).to_have_value("")
    page.locator("#ticket-question").fill("Question number 4")
    response = send_ticket(page)
    assert response.status == 429
    error = page.locator("#ticket-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Please try again in")
    expect(error).to_contain_text("You can send one again after")
    expect(page.locator("#ticket-status")).to_contain_text("Your question was not sent.")
    # Nothing typed is lost.
    expect(page.locator("#ticket-question")).to_have_value("Question number 4")


def test_a_patron_files_a_ticket_with_the_keyboard_and_a_console_shows_it_live(
    quiet_desk: Desk, contexts: Contexts
) -> None:
    page = offline_page(contexts, quiet_desk)
    # A librarian opens the console after the patron saw that nobody was online.
    console = log_in(contexts.new(), quiet_desk, "ana")

    page.locator("#ticket-name").focus()
    page.keyboard.type(HOSTILE_NAME)
    page.keyboard.press("Tab")
    expect(page.locator("#ticket-email")).to_be_focused()
    page.keyboard.type("kim@example.edu")
    page.keyboard.press("Tab")
    expect(page.locator("#ticket-question")).to_be_focused()
    page.keyboard.type(HOSTILE_QUESTION)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send question")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/api/tickets")) as answered:
        page.keyboard.press("Enter")
    assert answered.value.status == 201
    ticket_id = answered.value.json()["ticket_id"]

    done = page.locator("#ticket-done-text")
    expect(done).to_have_text("Thanks — we'll email you at kim@example.edu.")
    expect(done).to_be_focused()
    expect(page.locator("#ticket-status")).to_have_text(
        "Thanks — we'll email you at kim@example.edu."
    )
    expect(page.locator("#ticket")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    item = console.locator(f'#tickets .ticket-item[data-ticket-id="{ticket_id}"]')
    expect(item).to_be_visible()
    # Newest first, above the tickets the snapshot brought.
    expect(console.locator("#tickets .ticket-item").first).to_have_attribute(
        "data-ticket-id", str(ticket_id)
    )
    expect(item.locator(".ticket-who")).to_have_text(HOSTILE_NAME)
    expect(item.locator(".badge")).to_have_text("North Campus Library")
    expect(item.locator(".ticket-question")).to_have_text(HOSTILE_QUESTION)
    link = item.get_by_role("link", name="kim@example.edu")
    expect(link).to_have_attribute("href", "mailto:kim@example.edu")
    count = console.eval_on_selector_all(
        "#tickets script, #tickets img, #tickets b", "nodes => nodes.length"
    )
    assert count == 0, "elements were made from the patron's text"
    expect(console.locator("#tickets-count")).to_have_text(
        str(console.locator("#tickets .ticket-item").count())
    )
    expect(console.locator("#tickets-empty")).to_be_hidden()

    # A console opened later has it from its snapshot.
    again = log_in(contexts.new(), quiet_desk, "ben")
    expect(again.locator(f'#tickets .ticket-item[data-ticket-id="{ticket_id}"]')).to_be_visible()
