"""Presence in the browser: the away notice and "I'm back", the operators by campus, and
the patron told at once when the last librarian leaves.

Each test has a desk of its own with the timers shortened through settings: the console
goes away after 3 s without input, the offline grace period is 1 s, and the sweeper runs
every second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    expect,
    log_in,
    start_chat,
    start_desk,
    stop_desk,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

SHORT_TIMERS = {
    "REFDESK_AWAY_AFTER_MINUTES": "0.05",
    "REFDESK_OFFLINE_GRACE_SECONDS": "1",
    "REFDESK_SWEEP_SECONDS": "1",
}


@pytest.fixture
def quick_desk(tmp_path: Any) -> Iterator[Desk]:
    served = start_desk(tmp_path / "quick-desk", settings=SHORT_TIMERS)
    yield served
    stop_desk(served)


def presence_row(console: Any, name: str) -> Any:
    return console.locator("#presence li", has_text=name)


def test_a_console_left_alone_goes_away_and_one_click_brings_it_back(
    contexts: Contexts, quick_desk: Desk
) -> None:
    ben = log_in(contexts.new(), quick_desk, "ben")
    ana = log_in(contexts.new(), quick_desk, "ana")
    # Every console lists the librarians by campus, operators with their active chats.
    expect(presence_row(ben, "Ana")).to_contain_text("online, 0 active chats")
    expect(ben.locator(".presence-campus", has=ben.locator("li", has_text="Ana"))).to_contain_text(
        "North Campus Library: 1 operator online"
    )

    # No keyboard or pointer input for 3 s: Ana's console goes away by itself.
    notice = ana.locator("#away-body")
    expect(notice).to_be_visible(timeout=15_000)
    expect(notice).to_contain_text("You are away")
    expect(ana.get_by_role("radio", name="Away")).to_be_checked()
    expect(presence_row(ben, "Ana")).to_contain_text("away")
    problems = audit(ana, "console-away", Axe())
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)

    # One click (here from the keyboard) and she is an operator again.
    ana.get_by_role("button", name="I'm back").focus()
    ana.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(ana.get_by_role("radio", name="Online")).to_be_checked()
    expect(ana.locator("#queue")).to_be_focused()
    expect(presence_row(ben, "Ana")).to_contain_text("online, 0 active chats")

    # The toggle does the same by hand.
    ben.get_by_role("radio", name="Away").check()
    expect(presence_row(ana, "Ben")).to_contain_text("away")
    expect(ben.locator("#away-body")).to_be_visible()


def test_a_waiting_patron_is_offered_a_ticket_when_the_last_librarian_logs_out(
    contexts: Contexts, quick_desk: Desk
) -> None:
    ana = log_in(contexts.new(), quick_desk, "ana")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, quick_desk, name="Sam", question="Do you have APA guides?")
    row = ana.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')
    # The queue row shows the patron's connection.
    expect(row.locator(".patron-connection")).to_have_text("Patron here")
    offer = patron.locator("#desk-closed")
    expect(offer).to_be_hidden()

    # Ana logs out: her console closes, her grace period ends, the patron is told at once.
    ana.get_by_role("button", name="Log out").click()
    expect(offer).to_be_visible(timeout=15_000)
    expect(offer).to_contain_text("No librarian is online right now")
    expect(patron.locator("#status")).to_have_text("No librarian is online right now.")
    problems = audit(patron, "ask-nobody-online", Axe())
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)

    # The offer is the widget's ticket offer: the chat becomes a ticket with its transcript.
    patron.get_by_role("button", name="Leave my question by email").click()
    offer_form = patron.get_by_role("heading", name="Nobody is free just now")
    expect(offer_form).to_be_focused()
    patron.get_by_label("Email").last.fill("sam@example.edu")
    patron.get_by_role("button", name="Leave it as a ticket").click()
    expect(patron.locator("#status")).to_have_text(
        "Your question was left as a ticket: the answer will come by email."
    )
    expect(offer).to_be_hidden()
    # The next librarian finds the ticket, not a chat to claim.
    back = log_in(contexts.new(), quick_desk, "ben")
    expect(
        back.locator("#tickets .ticket-item", has_text="Do you have APA guides?")
    ).to_be_visible()
    expect(back.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')).to_have_count(0)


def test_the_console_shows_when_a_patron_has_closed_their_tab(
    contexts: Contexts, quick_desk: Desk
) -> None:
    ana = log_in(contexts.new(), quick_desk, "ana")
    patron_context = contexts.new()
    patron = patron_context.new_page()
    chat_id = start_chat(patron, quick_desk, name="Pat", question="Is the library open?")
    row = ana.locator(f'#queue .queue-item[data-chat-id="{chat_id}"] .patron-connection')
    expect(row).to_have_text("Patron here")
    pane = claim(ana, chat_id)
    expect(pane.locator(".patron-connection")).to_have_text("Patron here")
    patron.close()
    expect(pane.locator(".patron-connection")).to_have_text("Patron gone just now")
    expect(pane.locator(".patron-connection")).to_have_attribute("data-gone", "true")
    # The patron opens the chat again (the token is kept in the browser).
    back = patron_context.new_page()
    back.goto(f"{quick_desk.url}/ask/north/")
    expect(back.locator("#chat")).to_be_visible()
    expect(pane.locator(".patron-connection")).to_have_text("Patron here")


def test_a_patron_whose_librarian_left_is_told_and_offered_a_ticket_when_nobody_is_online(
    contexts: Contexts, quick_desk: Desk
) -> None:
    ana = log_in(contexts.new(), quick_desk, "ana")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, quick_desk, name="Kit", question="Can I book a study room?")
    claim(ana, chat_id)
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ana")
    # Ana closes the console mid-chat; after the grace period her chat goes back to the
    # queue, and with nobody else online the patron is offered the ticket at once.
    ana.close()
    expect(patron.locator("#messages .message.from-system").last).to_contain_text(
        "Ana had to leave. Another librarian will pick up your chat shortly."
    )
    expect(patron.locator("#desk-closed")).to_be_visible()
    expect(patron.locator("#chat-title")).to_have_text("Waiting for a librarian")
    # Ben comes online: the offer goes away and the chat waits in his queue.
    ben = log_in(contexts.new(), quick_desk, "ben")
    expect(patron.locator("#desk-closed")).to_be_hidden()
    expect(ben.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')).to_be_visible()
