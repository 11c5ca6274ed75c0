"""The timers of an active chat in the console: the dead-air badge with the page's clock
moved, "Still looking." with one key, the email reminder, and the wrap-up (with axe)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    expect,
    log_in,
    send_from_patron,
    start_chat,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser


def test_dead_air_goes_amber_then_red_and_still_looking_goes_out_with_one_key(
    desk: Desk, contexts: Contexts
) -> None:
    context = contexts.new()
    context.clock.install()
    ana = log_in(context, desk, "ana")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, name="Sam", question="Do you have APA guides?")
    pane = claim(ana, chat_id)

    # The question waits for Ana's first reply from the claim.
    badge = pane.locator(".dead-air")
    expect(badge).to_have_text(re.compile(r"^Waiting 0:0\d$"))
    expect(badge).not_to_have_class(re.compile(r"\b(amber|red)\b"))
    still_looking = pane.locator(".still-looking")
    expect(still_looking).to_be_hidden()
    mark = ana.locator(f"#tab-{chat_id} .dead-air-mark")
    expect(mark).to_be_hidden()
    # No email was given, but there has been no exchange yet: no reminder.
    reminder = pane.locator(".email-reminder-box")
    expect(reminder).to_be_hidden()

    ana.clock.run_for(61_000)
    expect(badge).to_have_class(re.compile(r"\bamber\b"))
    expect(badge).to_have_text(re.compile(r"^Waiting 1:0\d$"))
    expect(mark).to_be_visible()
    expect(still_looking).to_be_visible()
    expect(still_looking).to_have_attribute("aria-keyshortcuts", "Alt+L")

    # Typing does not reset the wait; one key sends the line.
    box = pane.locator("textarea")
    box.fill("")  # the greeting the claim put there
    box.press_sequentially("Let me ")
    expect(badge).to_have_class(re.compile(r"\bamber\b"))
    box.press("Alt+L")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(
        "Still looking."
    )
    expect(pane.locator(".messages .message.from-librarian:not(.pending) .body")).to_have_text(
        ["Still looking."]
    )
    expect(box).to_have_value("Let me ")
    expect(badge).to_be_hidden()
    expect(still_looking).to_be_hidden()
    expect(mark).to_be_hidden()
    # The first exchange happened and there is no email: the quiet reminder.
    expect(reminder).to_be_visible()
    expect(reminder.get_by_role("button", name="Ask for email")).to_be_visible()

    # The patron writes again and waits past red: the badge is red, the title flashes.
    send_from_patron(patron, "Thanks, I'll wait")
    expect(badge).to_be_visible()
    ana.clock.run_for(121_000)
    expect(badge).to_have_class(re.compile(r"\bred\b"))
    titles = set()
    for _ in range(3):
        ana.clock.run_for(1_000)
        titles.add(ana.title())
    assert any(title.startswith("⚠ Waiting · ") for title in titles), titles
    assert any(not title.startswith("⚠") for title in titles), titles

    # Ending opens the wrap-up; axe finds nothing serious; Escape closes it.
    pane.locator(".end").click()
    wrap = pane.locator(".end-confirm .wrap-up")
    expect(wrap).to_be_visible()
    expect(wrap.locator(".wrap-up-email")).to_have_text("Email: none given.")
    expect(pane.locator(".end-confirm").get_by_role("button", name="End chat")).to_be_focused()
    assert audit(ana, "console-wrap-up", Axe()) == []
    ana.keyboard.press("Escape")
    expect(wrap).to_be_hidden()

    # Asking for the email from the wrap-up puts an email field in the widget.
    pane.locator(".end").click()
    wrap.get_by_role("button", name="Ask for email").click()
    expect(wrap.locator(".wrap-up-status")).to_have_text(
        "Asked the patron for their email address."
    )
    expect(patron.locator("input[type=email]").last).to_be_visible()
