"""The librarian console: several chats at once, patrons leaving, and the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    end_from_console,
    expect,
    log_in,
    queue_item,
    send_from_patron,
    start_chat,
)

pytestmark = pytest.mark.browser


def test_a_second_claim_reminds_of_the_active_chat_and_tabs_count_unread_messages(
    desk: Desk, contexts: Contexts
) -> None:
    cai = log_in(contexts.new(), desk, "cai")
    first = contexts.new(phone=True).new_page()
    first_id = start_chat(
        first, desk, campus="downtown", name="Rosa Unread", question="Do you have scanners?"
    )
    second = contexts.new(phone=True).new_page()
    second_id = start_chat(
        second, desk, campus="south", name="Tomás Second", question="Where is the map room?"
    )

    first_pane = claim(cai, first_id)
    expect(cai.locator("#reminder")).to_be_hidden()
    # A whole sentence, ready to send.
    expect(first_pane.locator("textarea")).to_have_value(
        "Hi Rosa Unread, I'm Cai. I'm looking at your question now."
    )

    second_pane = claim(cai, second_id)
    expect(cai.locator("#reminder")).to_be_visible()
    expect(cai.locator("#reminder")).to_contain_text("You already have 1 active chat")
    # Cai's home is downtown; the south patron is told who answers for their campus (the
    # "identify yourself" snippet comes first).
    expect(second_pane.locator("textarea")).to_have_value(
        "I'm Cai from Downtown Library, helping out South Campus Library today."
    )

    first_tab = cai.locator(f"#tab-{first_id}")
    second_tab = cai.locator(f"#tab-{second_id}")
    expect(second_tab).to_have_attribute("aria-selected", "true")
    expect(first_tab).to_have_attribute("aria-selected", "false")
    expect(first_pane).to_be_hidden()

    # Messages to the chat in the background count on its tab, not on the one in front.
    send_from_patron(first, "Colour ones, ideally.")
    send_from_patron(first, "Or black and white.")
    expect(first_tab.locator(".unread")).to_have_text("2 unread")
    send_from_patron(second, "Near the atlases?")
    expect(second_pane.locator(".messages .message.from-patron .body").last).to_have_text(
        "Near the atlases?"
    )
    expect(second_tab.locator(".unread")).to_be_hidden()
    waiting = int(cai.locator("#waiting-count").inner_text())
    expect(cai).to_have_title(f"({waiting + 2}) Console — refdesk")

    first_tab.click()
    expect(first_pane).to_be_visible()
    expect(second_pane).to_be_hidden()
    expect(first_tab.locator(".unread")).to_be_hidden()
    expect(first_pane.locator(".messages .message.from-patron .body")).to_have_text(
        ["Do you have scanners?", "Colour ones, ideally.", "Or black and white."]
    )

    end_from_console(first_pane)
    second_tab.click()
    end_from_console(second_pane)


def test_the_console_shows_when_the_patron_leaves(desk: Desk, contexts: Contexts) -> None:
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(
        patron, desk, campus="south", name="Lee Leaving", question="Is the café open?"
    )
    # The patron's socket has the chat (it waits in the queue) before Ben claims it, so the
    # claim reaches the patron live rather than in the chat's state on connect.
    expect(patron.locator("#queue-place")).to_contain_text("in the queue.")
    pane = claim(ben, chat_id)
    expect(patron.locator("#status")).to_contain_text("Ben has joined")

    patron.get_by_role("button", name="Leave chat").click()
    expect(patron.locator("#status")).to_have_text("You left the chat. The chat has ended.")
    expect(patron.locator("#body")).to_be_disabled()

    expect(pane.locator(".ended-note")).to_have_text("Patron left.")
    expect(pane.locator(".messages .message.from-system .body").last).to_have_text(
        "The patron left the chat."
    )
    expect(pane.locator(".composer")).to_be_hidden()
    expect(pane.locator(".end")).to_be_hidden()
    expect(ben.locator(f"#tab-{chat_id}")).to_have_class("tab ended")

    pane.get_by_role("button", name="Close tab").click()
    expect(ben.locator(f"#tab-{chat_id}")).to_have_count(0)


def press_until(page: Any, key: str, condition: str, *, limit: int = 60) -> None:
    """Press ``key`` until the JavaScript ``condition`` (about document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {condition}; }})()"):
            return
    focused = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
    pytest.fail(f"{limit} presses of {key} never reached {condition}; focus is on {focused}")


def claim_button_of(chat_id: int) -> str:
    return f"el.matches('.queue-item[data-chat-id=\"{chat_id}\"] .claim')"


def test_a_librarian_claims_and_switches_chats_with_the_keyboard_alone(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "admin")
    patrons = []
    for name, question in (
        ("Kay Keyboard", "Can I renew a loan?"),
        ("Kit Keys", "Are there quiet rooms?"),
    ):
        page = contexts.new(phone=True).new_page()
        patrons.append(start_chat(page, desk, name=name, question=question))
        expect(queue_item(console, patrons[-1]).locator(".claim")).to_be_visible()
    first_id, second_id = patrons

    # Tab through the page to the first chat's Claim Chat button; Enter claims it.
    console.locator("body").focus()
    press_until(console, "Tab", claim_button_of(first_id))
    console.keyboard.press("Enter")
    first_tab = console.locator(f"#tab-{first_id}")
    expect(first_tab).to_have_attribute("aria-selected", "true")
    first_box = console.locator(f"#compose-{first_id}")
    expect(first_box).to_be_focused()
    expect(first_box).to_have_value("Hi Kay Keyboard, I'm Admin. I'm looking at your question now.")

    # Back up through the page to the second chat's button.
    press_until(console, "Shift+Tab", claim_button_of(second_id))
    console.keyboard.press("Enter")
    second_tab = console.locator(f"#tab-{second_id}")
    expect(second_tab).to_have_attribute("aria-selected", "true")
    expect(console.locator(f"#compose-{second_id}")).to_be_focused()

    # The tab list is one stop; arrow keys move between the chats.
    press_until(console, "Shift+Tab", "el.getAttribute('role') === 'tab'")
    expect(second_tab).to_be_focused()
    expect(console.locator("#tabs [role=tab][tabindex='0']")).to_have_count(1)
    console.keyboard.press("ArrowLeft")
    expect(first_tab).to_be_focused()
    expect(first_tab).to_have_attribute("aria-selected", "true")
    expect(second_tab).to_have_attribute("aria-selected", "false")
    expect(console.locator(f"#pane-{first_id}")).to_be_visible()
    expect(console.locator(f"#pane-{second_id}")).to_be_hidden()
    console.keyboard.press("ArrowRight")
    expect(second_tab).to_be_focused()
    expect(console.locator(f"#pane-{second_id}")).to_be_visible()
    console.keyboard.press("Home")
    expect(first_tab).to_be_focused()
    console.keyboard.press("End")
    expect(second_tab).to_be_focused()

    # The end button and its confirmation work from the keyboard too.
    press_until(console, "Tab", "el.matches('.pane:not([hidden]) .end')")
    console.keyboard.press("Enter")
    confirm = console.locator(f"#pane-{second_id} .end-confirm")
    expect(confirm.get_by_role("button", name="End chat")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator(f"#pane-{second_id} .ended-note")).to_have_text("The chat has ended.")
    first_tab.focus()
    console.keyboard.press("Enter")
    end_from_console(console.locator(f"#pane-{first_id}"))
