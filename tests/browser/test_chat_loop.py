"""The whole loop: a patron on a phone, two librarians' consoles, from the question to the end."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    expect,
    log_in,
    patron_details,
    queue_item,
    save_screenshot,
    send_from_console,
    send_from_patron,
    submit_prechat,
)

pytestmark = pytest.mark.browser

QUESTION = "what time do you close today"
# The demo's "ask for the name" snippet: the patron gave no name.
GREETING = "May I have your name while I look into this?"
CLOSING = "I hope that helps. Have a great day!"
LINK_LINE = "Hours: https://library.example.edu/north/hours. Not javascript:alert(1) though."
MARKUP = "<img src=x onerror=alert(1)> <b>bold?</b>"
WORLD = "Thanks 🙏📚 شكرا جزيلا 谢谢 ありがとう"


def bodies(scope: Any, list_selector: str) -> list[str]:
    return scope.locator(f"{list_selector} .message .body").all_inner_texts()


def expect_each_once(scope: Any, list_selector: str, expected: list[str]) -> None:
    """The conversation shows exactly these bodies, in order, none twice, none pending."""
    expect(scope.locator(f"{list_selector} .message .body")).to_have_text(expected)
    expect(scope.locator(f"{list_selector} .message.pending")).to_have_count(0)
    seqs = scope.locator(f"{list_selector} .message").evaluate_all(
        "items => items.map(li => li.dataset.seq)"
    )
    assert len(seqs) == len(set(seqs)) == len(expected), seqs


def test_a_patron_on_a_phone_and_two_librarians_go_from_the_name_box_to_the_closing_line(
    desk: Desk, contexts: Contexts
) -> None:
    # Both consoles are open before the patron asks.
    ana_context = contexts.new()
    ana = log_in(ana_context, desk, "ana")
    ben = log_in(contexts.new(), desk, "ben")

    # The patron types the question into the name box and leaves the question box empty.
    patron_context = contexts.new(phone=True)
    patron = patron_context.new_page()
    patron.goto(f"{desk.url}/ask/north/")
    patron.locator("#name").fill(QUESTION)
    expect(patron.locator("#name-hint")).to_contain_text("looks like a question")
    expect(patron.locator("#question")).to_have_value("")
    expect(patron.locator("#question")).not_to_have_attribute("required", "")
    save_screenshot(patron, "ask-page.png", full_page=True)
    chat_id = submit_prechat(patron, patron)
    # The question asks about hours: the desk answers it at once, marked automatic (its
    # words depend on the hour; tests/chats/test_hours_answer.py pins them down).
    automatic = patron.locator("#messages .message.automatic")
    expect(automatic.locator(".who")).to_have_text("Automatic answer")
    hours_answer = automatic.locator(".body").inner_text()
    assert hours_answer.startswith("North Campus Library"), hours_answer
    # The shared desk may have other chats waiting at North: the place depends on them.
    expect(patron.locator("#status")).to_have_text("A librarian will be with you shortly.")
    expect(patron.locator("#queue-place")).to_have_text(
        re.compile(r"^You are (next|number \d+) in the queue\.$")
    )

    # Both librarians see it live: the marker, the campus badge, a ticking wait timer.
    for console in (ana, ben):
        item = queue_item(console, chat_id)
        expect(item.locator(".patron-name")).to_have_text(QUESTION)
        expect(item.locator(".marker")).to_have_text("Question was typed in the name box")
        expect(item.locator(".badge")).to_have_text("North Campus Library")
        wait = item.locator(".wait")
        expect(wait).to_have_text(re.compile(r"^\d+:\d\d$"))
        before = wait.inner_text()
        expect(wait).not_to_have_text(before, timeout=3000)
        expect(item.locator(".claim")).to_have_text("Claim Chat")
    save_screenshot(ana, "console-queue.png")

    # Ana looks at who is asking.
    queue_item(ana, chat_id).locator(".patron-name").click()
    expect(ana.locator("#patron-panel")).to_be_visible()
    expect(ana.locator("#patron-panel")).to_be_in_viewport()
    panel = patron_details(ana)
    assert panel["Campus"] == "North Campus Library"
    assert panel["Came from"] == f"{desk.url}/ask/north/"
    assert "Chrome" in panel["Browser"], panel
    assert panel["Name"] == "(not given)"
    assert panel["Question"] == QUESTION
    ana.locator("#patron-close").click()
    expect(ana.locator("#patron-panel")).to_be_hidden()

    # Ana claims; Ben sees who has it and cannot claim it any more.
    pane = claim(ana, chat_id)
    ben_item = queue_item(ben, chat_id)
    expect(ben_item.locator(".claimed-by")).to_have_text("Claimed by Ana")
    expect(ben_item.locator(".claim")).to_have_count(0)
    expect(ben.locator(f"#pane-{chat_id}")).to_have_count(0)
    expect(patron.locator("#status")).to_contain_text("Ana has joined")
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ana")

    # The composer is ready with the greeting for a patron without a name.
    box = pane.locator("textarea")
    expect(box).to_have_value(GREETING)
    expect(box).to_be_focused()

    # Typing shows on the other side, both ways.
    box.press("End")
    box.press_sequentially(" ")
    expect(patron.locator("#typing")).to_have_text("Ana is typing…")
    box.press("Enter")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(GREETING)
    expect(patron.locator("#typing")).to_have_text("")

    patron.locator("#body").press_sequentially("Sam")
    expect(pane.locator(".typing")).to_have_text("The patron is typing…")
    patron.locator("#body").press("Enter")
    expect(pane.locator(".messages .message.from-patron .body").last).to_have_text("Sam")
    expect(pane.locator(".typing")).to_have_text("")

    # Links: http(s) only, opened safely; javascript: stays text.
    send_from_console(pane, LINK_LINE)
    for scope, selector in ((patron, "#messages"), (pane, ".messages")):
        line = scope.locator(f"{selector} .message.from-librarian").last
        expect(line.locator(".body")).to_have_text(LINK_LINE)
        link = line.locator("a")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", "https://library.example.edu/north/hours")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
    expect(patron.locator("#messages a[href^='javascript']")).to_have_count(0)
    expect(pane.locator("a[href^='javascript']")).to_have_count(0)

    # Markup is text on both sides; emoji, Arabic and CJK come through as typed.
    send_from_patron(patron, MARKUP)
    send_from_patron(patron, WORLD)
    for scope, selector in ((patron, "#messages"), (pane, ".messages")):
        shown = scope.locator(f"{selector} .message.from-patron .body")
        expect(shown.nth(-2)).to_have_text(MARKUP)
        expect(shown.last).to_have_text(WORLD)
        expect(shown.last).to_have_attribute("dir", "auto")
        expect(scope.locator(f"{selector} img, {selector} b")).to_have_count(0)
    save_screenshot(patron, "ask-chat.png")

    conversation = [QUESTION, hours_answer, GREETING, "Sam", LINK_LINE, MARKUP, WORLD]
    expect_each_once(patron, "#messages", conversation)
    expect_each_once(pane, ".messages", conversation)

    # A reload of the patron page finds the same chat, every message once.
    patron.reload()
    expect(patron.locator("#chat")).to_be_visible()
    expect(patron.locator("#prechat")).to_be_hidden()
    expect_each_once(patron, "#messages", conversation)
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ana")

    # A reload of Ana's console reopens the chat tab, every message once.
    ana.reload()
    expect(ana.locator("#connection")).to_have_text("Connected")
    tab = ana.locator(f"#tab-{chat_id}")
    expect(tab).to_have_attribute("aria-selected", "true")
    pane = ana.locator(f"#pane-{chat_id}")
    expect(pane).to_be_visible()
    expect_each_once(pane, ".messages", conversation)
    expect(tab.locator(".unread")).to_be_hidden()

    # The patron's connection drops; Ana writes twice meanwhile; the patron gets each once.
    patron_context.set_offline(True)
    patron.evaluate("window.refdeskPatron.drop()")
    expect(patron.locator("#connection")).to_have_text("Reconnecting…")
    expect(patron.locator("#connection")).to_be_visible()
    while_away = ["Are you still there?", "I found the hours for you."]
    for text in while_away:
        send_from_console(pane, text)
    # What the patron sends meanwhile waits, and goes (once) when the connection is back.
    patron.locator("#body").fill("Sorry, my train went into a tunnel.")
    patron.locator("#body").press("Enter")
    expect(patron.locator("#messages .message.pending")).to_have_count(1)
    expect(patron.locator("#messages .message:not(.pending)")).to_have_count(len(conversation))
    patron_context.set_offline(False)
    expect(patron.locator("#connection")).to_be_hidden()
    conversation += [*while_away, "Sorry, my train went into a tunnel."]
    expect_each_once(patron, "#messages", conversation)
    expect_each_once(pane, ".messages", conversation)

    # Ana's console drops; the patron writes twice meanwhile; the console gets each once.
    ana_context.set_offline(True)
    ana.evaluate("window.refdeskConsole.drop()")
    expect(ana.locator("#connection")).to_have_text("Reconnecting…")
    from_patron = ["Yes, still here.", "Thank you!"]
    for text in from_patron:
        send_from_patron(patron, text)
    pane.locator("textarea").fill("Glad you made it back.")
    pane.locator("textarea").press("Enter")
    expect(pane.locator(".messages .message.pending")).to_have_count(1)
    expect(pane.locator(".messages .message:not(.pending)")).to_have_count(len(conversation))
    ana_context.set_offline(False)
    expect(ana.locator("#connection")).to_have_text("Connected")
    conversation += [*from_patron, "Glad you made it back."]
    expect_each_once(pane, ".messages", conversation)
    expect_each_once(patron, "#messages", conversation)

    # Ana ends the chat with the ×; the confirmation offers the closing line.
    pane.locator(".end").click()
    confirm = pane.locator(".end-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(CLOSING)
    expect(confirm.locator(".send-closing")).to_be_checked()
    confirm.get_by_role("button", name="End chat").click()
    expect(pane.locator(".ended-note")).to_have_text("The chat has ended.")
    expect(pane.locator(".composer")).to_be_hidden()

    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(CLOSING)
    expect(patron.locator("#status")).to_have_text("The chat has ended.")
    expect(patron.locator("#body")).to_be_disabled()
    expect(patron.locator("#composer button[type=submit]")).to_be_disabled()
    expect(patron.locator("#new-chat")).to_be_visible()
    assert bodies(patron, "#messages").count(CLOSING) == 1
