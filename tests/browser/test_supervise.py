"""Supervision in the console: a librarian calls a supervisor from a chat; the supervisor's
console shows the alert (sound, desktop notification, in-page alert), watches the chat
read-only, sees the patron's next line live and writes an internal note that the holder
sees and the patron never does; with axe on the watch view."""

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
    queue_item,
    send_from_console,
    send_from_patron,
    start_chat,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

# Desktop notifications, recorded: permission is granted and every `new Notification` is
# kept in window.shownNotifications.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options = {}) {
    window.shownNotifications.push({ title, body: options.body, tag: options.tag });
  }
};
"""

# The console's sound, recorded: each play(kind) is kept in window.playedSounds.
RECORD_SOUNDS = """() => {
  window.playedSounds = [];
  const sound = window.refdeskConsole.sound;
  const play = sound.play;
  sound.play = (kind) => { window.playedSounds.push(kind); return play(kind); };
}"""


def test_a_call_for_a_supervisor_is_watched_and_noted_and_the_patron_sees_no_note(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    watching = contexts.new()
    watching.add_init_script(RECORD_NOTIFICATIONS)
    dee = log_in(watching, desk, "dee")
    dee.evaluate(RECORD_SOUNDS)
    ana_name = ana.locator("#console").get_attribute("data-me-name")

    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, name="Sam", question="I need help, it's urgent")
    # A supervisor may watch a chat from the queue; a librarian has no such button.
    expect(
        queue_item(dee, chat_id).get_by_role("button", name="Watch the chat with Sam")
    ).to_be_visible()
    expect(queue_item(ana, chat_id)).to_be_visible()
    expect(queue_item(ana, chat_id).locator(".watch-chat")).to_have_count(0)
    expect(ana.locator("section.supervise")).to_be_hidden()

    pane = claim(ana, chat_id)
    pane.get_by_role("button", name="Alert a supervisor").click()
    expect(ana.locator("#announcer")).to_have_text("1 supervisor alerted.")

    # The supervisor's console: the in-page alert, the sound and the notification.
    alert = dee.locator(f'#supervisor-alerts .supervisor-alert[data-chat-id="{chat_id}"]')
    expect(alert).to_contain_text(f"{ana_name} asks for a supervisor on chat {chat_id} (north).")
    assert dee.evaluate("window.playedSounds") == ["loud"]
    assert dee.evaluate("window.shownNotifications") == [
        {
            "title": f"{ana_name} asks for a supervisor",
            "body": f"Chat {chat_id} (north)",
            "tag": f"supervisor-{chat_id}",
        }
    ]

    # Watch: the transcript so far, read-only (the one text box is for notes).
    alert.get_by_role("button", name="Watch chat").click()
    watched = dee.locator(f'#watched-chats .watched-chat[data-chat-id="{chat_id}"]')
    expect(
        watched.get_by_role("heading", name=re.compile(f"Watching chat {chat_id}"))
    ).to_be_focused()
    lines = watched.locator(".watched-lines li")
    expect(lines.first).to_contain_text("I need help, it's urgent")
    expect(watched.locator("textarea")).to_have_count(1)
    expect(watched.get_by_label("Internal note (only staff see it)")).to_be_visible()
    expect(alert).to_have_count(0)

    # The patron's next line reaches the watcher live.
    send_from_patron(patron, "I don't feel safe at home")
    expect(lines.last).to_have_text("Sam: I don't feel safe at home")

    # A note: the holder sees it in the chat view, marked; the patron never does.
    watched.get_by_label("Internal note (only staff see it)").fill(
        "Stay calm; offer the crisis line."
    )
    watched.get_by_role("button", name="Add note").click()
    expect(watched.locator(".internal-notes li")).to_contain_text(
        ["Internal note — only staff see this Dee"]
    )
    held_note = pane.locator(".internal-notes li")
    expect(held_note).to_have_count(1)
    expect(held_note.locator(".note-mark")).to_have_text("Internal note — only staff see this")
    expect(held_note.locator(".body")).to_have_text("Stay calm; offer the crisis line.")
    # The holder's next line reaches the patron: nothing of the note came before it.
    send_from_console(pane, "I'm here with you.")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(
        "I'm here with you."
    )
    expect(lines.last).to_contain_text("I'm here with you.")
    assert "crisis line" not in patron.locator("body").inner_text()

    problems = audit(dee, "console-watching", Axe())
    assert problems == [], "\n".join(problems)
    assert contexts.problems == []


def test_a_supervisor_joins_writes_to_the_patron_and_leaves(desk: Desk, contexts: Contexts) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    dee = log_in(contexts.new(), desk, "dee")
    dee_name = dee.locator("#console").get_attribute("data-me-name")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, name="Jo", question="Can someone else help?")
    expect(queue_item(dee, chat_id)).to_be_visible()
    pane = claim(ana, chat_id)

    dee.get_by_role("button", name="Watch the chat with Jo").click()
    watched = dee.locator(f'#watched-chats .watched-chat[data-chat-id="{chat_id}"]')
    expect(watched).to_be_visible()
    watched.get_by_role("button", name="Join chat").click()
    patron_lines = patron.locator("#messages .message")
    expect(patron_lines.last).to_contain_text(f"{dee_name} joined")
    expect(pane.locator(".messages .message").last).to_contain_text(f"{dee_name} joined")
    leave = watched.get_by_role("button", name="Leave chat")
    expect(leave).to_be_visible()

    # The joined supervisor writes to the patron from the watch view.
    box = watched.get_by_label(f"Message to the patron in chat {chat_id}")
    box.fill("I'm the supervisor on duty; I'll stay with you both.")
    box.press("Enter")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(
        "I'm the supervisor on duty; I'll stay with you both."
    )
    expect(pane.locator(".messages .message").last).to_contain_text(
        "I'm the supervisor on duty; I'll stay with you both."
    )
    expect(box).to_have_value("")
    problems = audit(dee, "console-joined", Axe())
    assert problems == [], "\n".join(problems)

    leave.click()
    expect(patron_lines.last).to_contain_text(f"{dee_name} left")
    expect(pane.locator(".messages .message").last).to_contain_text(f"{dee_name} left")
    expect(watched.get_by_role("button", name="Join chat")).to_be_visible()
    expect(watched.get_by_label(f"Message to the patron in chat {chat_id}")).to_have_count(0)
    assert contexts.problems == []
