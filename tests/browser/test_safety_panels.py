"""The hard moments in the console: a patron's abusive line opens the escalation panel
beside the chat (its guidance, a warning snippet, Block patron), a crisis line opens the
crisis panel (its guidance, compassionate snippets, the campus's contacts and the
national lines, Alert a supervisor), and a line flagged while the chat still waits opens
its panel when the chat is claimed. The patron never sees a flag. Axe finds nothing
serious with a panel open.

The desk is shared by the package's tests and every patron here comes from 127.0.0.1, so
the test that blocks lifts its block before it ends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    expect,
    log_in,
    queue_item,
    send_from_patron,
    start_chat,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

NOTICE = "The chat service isn't available to you right now."
HEADINGS = [
    "Communicating with the patron",
    "Actions to suggest to the patron",
    "Actions for you",
    "Important things to remember",
]
ABUSIVE = "Shut up and just give me the link, you moron"
CRISIS = "I don't want to live anymore"
THREAT = "I will kill you"


def expect_true(page: Any, expression: str) -> None:
    """Wait until ``expression`` is true in the page."""
    page.wait_for_function(expression)


def flagged_line(pane: Any, text: str) -> Any:
    return pane.locator(".messages .message.from-patron", has_text=text)


def lift_blocks(console: Any, desk: Desk) -> None:
    """A supervisor lifts every block on the blocks page, with a note."""
    console.goto(f"{desk.url}/console/safety/blocks/")
    notes = console.get_by_label("Why lift block")
    while notes.count():
        notes.first.fill("Test over")
        notes.first.press("Enter")
        expect(console.get_by_role("status")).to_contain_text("lifted")


def test_an_abusive_line_opens_the_escalation_panel_and_the_librarian_blocks_from_it(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Sam", question="Where are the maps?")
    pane = claim(ana, chat_id)

    send_from_patron(patron, ABUSIVE)
    line = flagged_line(pane, ABUSIVE)
    expect(line.locator(".flag-badge")).to_have_text("Flagged: abusive")
    panel = pane.locator(".safety-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name="Abusive or threatening patron")).to_be_visible()
    expect(panel.locator("h5")).to_contain_text([*HEADINGS, "Warning snippets"])
    expect(ana.locator("#announcer")).to_contain_text("Flagged as abusive: a message from Sam.")
    # The panel does not take the keyboard from the composer.
    expect(pane.locator("textarea")).to_be_focused()

    problems = audit(ana, "console-escalation-panel", Axe())
    assert problems == [], "\n".join(problems)

    # A warning snippet goes into the composer.
    box = pane.locator("textarea")
    box.fill("")
    panel.get_by_role("button", name="Warning: language").click()
    expect(box).to_have_value(
        "I'm happy to keep helping you, but I need our conversation to stay respectful. "
        "If the language continues, I will end this chat."
    )

    # The patron sees their line and nothing of the flag.
    expect(patron.locator("#messages")).to_contain_text(ABUSIVE)
    expect(patron.locator("body")).not_to_contain_text("Flagged")
    expect(patron.locator("body")).not_to_contain_text("abusive", ignore_case=True)

    # Block patron, from the panel: the dialog with the shared-computer warning.
    panel.get_by_role("button", name="Block patron").click()
    dialog = ana.get_by_role("dialog", name="Block patron")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("An address may be a shared library computer")
    expect(ana.get_by_label("Reason (for staff only)")).to_be_focused()
    ana.get_by_label("Reason (for staff only)").fill("Abusive after a warning")
    dialog.get_by_label("1 day").check()
    dialog.get_by_role("button", name="Block patron").click()
    expect(ana.locator("#block-result")).to_contain_text("Blocked until")
    ana.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The chat has ended: the panel keeps only what needs no live chat, the report.
    expect(panel.locator('[data-action="report-incident"]')).to_be_visible()
    for gone in ("end-chat", "block"):
        expect(panel.locator(f'[data-action="{gone}"]')).to_have_count(0)
    expect(panel.locator(".safety-snippet")).to_have_count(0)
    expect(panel).to_contain_text("This chat has ended: you can still report what happened.")
    # Nor does the chat's own toolbar offer to call a supervisor to a chat that is over.
    expect(pane.locator(".alert-supervisor")).to_have_count(0)
    panel.get_by_role("button", name="Report incident").click()
    expect(ana.get_by_role("dialog", name="Report incident")).to_be_visible()
    ana.keyboard.press("Escape")

    # The patron's chat ends neutrally; the ask page shows only the notice.
    expect(patron.locator("#status")).to_have_text("The chat has ended.")
    expect(patron.locator("body")).not_to_contain_text("block", ignore_case=True)
    patron.reload()
    expect(patron.locator("#unavailable")).to_contain_text(NOTICE)
    expect(patron.locator("#prechat")).to_be_hidden()
    expect(patron.locator("body")).not_to_contain_text("block", ignore_case=True)

    lift_blocks(log_in(contexts.new(), desk, "dee"), desk)
    patron.reload()
    expect(patron.locator("#prechat")).to_be_visible()


def test_a_crisis_line_opens_the_crisis_panel_with_contacts_and_alerts_a_supervisor(
    desk: Desk, contexts: Contexts
) -> None:
    ben = log_in(contexts.new(), desk, "ben")
    dee = log_in(contexts.new(), desk, "dee")
    ben_name = ben.locator("#console").get_attribute("data-me-name")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Lee", question="A question")
    pane = claim(ben, chat_id)

    send_from_patron(patron, CRISIS)
    expect(flagged_line(pane, CRISIS).locator(".flag-badge")).to_have_text("Flagged: crisis")
    panel = pane.locator(".safety-panel")
    expect(panel.get_by_role("heading", name="Patron in crisis")).to_be_visible()
    expect(panel.locator("h5")).to_contain_text([*HEADINGS, "Compassionate snippets", "Contacts"])
    expect(panel).to_contain_text("Alert a supervisor right away.")
    expect(panel.get_by_role("button", name="Compassion: listening")).to_be_visible()
    expect(panel.get_by_role("button", name="Compassion: help lines")).to_be_visible()
    contacts = panel.locator(".safety-contacts")
    expect(contacts).to_contain_text("North Counselling Centre")
    expect(contacts).to_contain_text("North Campus Security")
    expect(contacts).to_contain_text("988 Suicide & Crisis Lifeline")
    expect(contacts).not_to_contain_text("South Counselling Centre")
    expect(patron.locator("body")).not_to_contain_text("Flagged")
    expect(patron.locator("body")).not_to_contain_text("crisis", ignore_case=True)

    problems = audit(ben, "console-crisis-panel", Axe())
    assert problems == [], "\n".join(problems)

    panel.get_by_role("button", name="Alert a supervisor").click()
    expect(ben.locator("#announcer")).to_have_text(re.compile(r"^\d+ supervisors? alerted\.$"))
    alert = dee.locator(f'#supervisor-alerts .supervisor-alert[data-chat-id="{chat_id}"]')
    expect(alert).to_contain_text(f"{ben_name} asks for a supervisor on chat {chat_id} (north).")
    expect(dee.locator("#supervisor-alerts")).to_have_attribute("aria-live", "assertive")
    expect(alert.get_by_role("button", name="Watch chat")).to_be_visible()

    # Keyboard: Escape closes the panel, "Safety guidance" opens it again.
    panel.get_by_role("button", name="Compassion: listening").focus()
    ben.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    reopen = pane.get_by_role("button", name="Safety guidance")
    expect(reopen).to_be_focused()
    ben.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(panel.get_by_role("heading", name="Patron in crisis")).to_be_visible()

    # The patron leaves: Alert a supervisor and the snippets go, the report and the
    # contacts stay, and the focus that was on a button that went is not lost.
    panel.get_by_role("button", name="Alert a supervisor").focus()
    patron.locator("#leave").click()
    expect(pane.locator(".ended-note")).to_be_visible()
    expect(panel.locator('[data-action="alert-supervisor"]')).to_have_count(0)
    expect(panel.locator(".safety-snippet")).to_have_count(0)
    expect(panel.locator(".safety-contacts")).to_contain_text("988 Suicide & Crisis Lifeline")
    expect(panel.get_by_role("button", name="Report incident")).to_be_visible()
    assert ben.evaluate(
        "document.activeElement !== document.body && document.activeElement.isConnected"
    )


def test_a_line_flagged_while_the_chat_waits_opens_its_panel_on_claim(
    desk: Desk, contexts: Contexts
) -> None:
    cai = log_in(contexts.new(), desk, "cai")
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Kim", question="Hello")
    expect(queue_item(cai, chat_id)).to_be_visible()

    send_from_patron(patron, ABUSIVE)
    for console in (cai, ben):
        expect(console.locator("#announcer")).to_have_text(
            "A waiting chat has a message flagged as abusive."
        )
        # The queue row says so in words, not colour alone.
        expect(queue_item(console, chat_id).locator(".queue-flag")).to_have_text("Flagged: abusive")
    # A graver line: the row shows the gravest so far.
    send_from_patron(patron, THREAT)
    expect(queue_item(ben, chat_id).locator(".queue-flag")).to_have_text("Flagged: threatening")
    # A console that reconnects (a reload) has it from the snapshot.
    cai.reload()
    expect(cai.locator("#connection")).to_have_text("Connected")
    expect(queue_item(cai, chat_id).locator(".queue-flag")).to_have_text("Flagged: threatening")
    problems = audit(cai, "console-queue-flag", Axe())
    assert problems == [], "\n".join(problems)
    known = f"window.refdeskConsole.store.state.flags.has({chat_id})"
    expect_true(ben, known)

    pane = claim(cai, chat_id)
    # Someone else took it: Ben's console forgets its flagged lines.
    expect_true(ben, f"!{known}")
    expect(flagged_line(pane, ABUSIVE).locator(".flag-badge")).to_have_text("Flagged: abusive")
    expect(flagged_line(pane, THREAT).locator(".flag-badge")).to_have_text("Flagged: threatening")
    panel = pane.locator(".safety-panel")
    expect(panel.get_by_role("heading", name="Abusive or threatening patron")).to_be_visible()
    expect(pane.get_by_role("button", name="Safety guidance")).to_be_visible()
    expect(patron.locator("body")).not_to_contain_text("Flagged")
