"""Transfers in the browser: a south patron's chat goes from Ana (north) to Ben (south),
who accepts it, and the patron sees Ben's name; the same with the keyboard alone; axe on
the dialog and the offer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    end_from_console,
    expect,
    log_in,
    send_from_console,
    start_chat,
    start_desk,
    stop_desk,
)
from tests.browser.test_accessibility import audit
from tests.browser.test_console import press_until

pytestmark = pytest.mark.browser


def offer_card(console: Any, chat_id: int) -> Any:
    return console.locator(f'#transfer-offers .offer-card[data-chat-id="{chat_id}"]')


def test_ana_transfers_a_south_patron_to_ben_who_accepts_and_the_patron_sees_ben(
    desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    ana = log_in(contexts.new(), desk, "ana")
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(
        patron, desk, campus="south", name="Sam Transfer", question="Can I renew online?"
    )
    pane = claim(ana, chat_id)
    send_from_console(pane, "Hi Sam, let me find someone from South for you.")

    pane.get_by_role("button", name="Transfer…").click()
    dialog = ana.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Transfer the chat with Sam Transfer")
    home = dialog.locator(".transfer-section").first
    expect(home.locator("h3")).to_have_text("Online from South Campus Library")
    expect(home.get_by_role("button", name="Ben")).to_be_visible()
    problems = audit(ana, "console-transfer-dialog", axe)

    home.get_by_role("button", name="Ben").click()
    expect(dialog.locator(".transfer-status")).to_have_text(
        "Offered to Ben. Waiting for an answer."
    )
    expect(dialog).to_be_hidden()
    expect(pane.locator(".transfer-note")).to_contain_text("Offered to Ben:")

    card = offer_card(ben, chat_id)
    expect(card).to_be_visible()
    expect(card.locator("h3")).to_have_text(
        "Ana offers you a chat with Sam Transfer (South Campus Library)"
    )
    expect(card.locator(".offer-preview")).to_contain_text("Can I renew online?")
    expect(card.locator(".offer-left")).to_contain_text("s left")
    problems += audit(ben, "console-transfer-offer", axe)
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)

    card.get_by_role("button", name="Accept").click()
    ben_pane = ben.locator(f"#pane-{chat_id}")
    expect(ben_pane).to_be_visible()
    expect(card).to_have_count(0)
    expect(ben_pane.locator(".messages .message.from-system .body").last).to_have_text(
        "Ana transferred the chat to Ben."
    )
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ben")
    expect(patron.locator("#status")).to_have_text("You are now chatting with Ben.")
    expect(pane.locator(".ended-note")).to_have_text("Transferred to Ben.")
    expect(pane.locator(".composer")).to_be_hidden()

    send_from_console(ben_pane, "Hi Sam, Ben from South here.")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(
        "Hi Sam, Ben from South here."
    )
    end_from_console(ben_pane)


def test_a_transfer_and_its_accept_with_the_keyboard_alone(desk: Desk, contexts: Contexts) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="south", name="Kim Keys", question="Late fees?")
    pane = claim(ana, chat_id)

    # From the composer, Tab reaches nothing of the transfer: go to the pane's head.
    pane.locator(".patron-name").focus()
    press_until(ana, "Tab", "el.matches('.transfer-open')")
    ana.keyboard.press("Enter")
    dialog = ana.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    # The first choice has the focus: an operator from the patron's campus.
    assert ana.evaluate("document.activeElement.textContent").startswith("Ben")
    ana.keyboard.press("Enter")
    expect(dialog).to_be_hidden()

    card = offer_card(ben, chat_id)
    expect(card).to_be_visible()
    ben.locator("body").focus()
    press_until(
        ben,
        "Tab",
        f"el.closest('.offer-card[data-chat-id=\"{chat_id}\"]') && el.textContent === 'Accept'",
    )
    ben.keyboard.press("Enter")
    expect(ben.locator(f"#pane-{chat_id}")).to_be_visible()
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ben")

    # Ben puts it back in the north queue, again by keyboard; Escape closes the dialog.
    ben_pane = ben.locator(f"#pane-{chat_id}")
    ben_pane.locator(".patron-name").focus()
    press_until(ben, "Tab", "el.matches('.transfer-open')")
    ben.keyboard.press("Enter")
    expect(ben.locator("#transfer-dialog")).to_be_visible()
    ben.keyboard.press("Escape")
    expect(ben.locator("#transfer-dialog")).to_be_hidden()
    assert ben.evaluate("document.activeElement.matches('.transfer-open')")
    ben.keyboard.press("Enter")
    press_until(ben, "Tab", "el.textContent.startsWith('North Campus Library queue')")
    ben.keyboard.press("Enter")
    expect(ben_pane.locator(".ended-note")).to_have_text("Back in the queue.")
    expect(patron.locator("#status")).to_have_text(
        "Your chat is waiting for the next librarian at North Campus Library."
    )
    # It waits in the north queue of every console, Ana's included, and can be claimed.
    row = ana.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')
    expect(row).to_be_visible()
    again = claim(ana, chat_id)
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Ana")
    end_from_console(again)


def test_with_nobody_from_the_campus_online_the_chat_becomes_a_ticket_for_its_queue(
    desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    ana = log_in(contexts.new(), desk, "ana")
    cai = log_in(contexts.new(), desk, "cai")
    # Ben, South's librarian, is at his desk but away: nobody from South is an operator.
    ben = log_in(contexts.new(), desk, "ben")
    ben.get_by_role("radio", name="Away").check()
    expect(ana.locator("#presence")).to_contain_text("Ben")
    ana.wait_for_function(
        "() => [...window.refdeskConsole.state.presence.values()]"
        ".some(p => p.display_name === 'Ben' && p.status === 'away')"
    )
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(
        patron, desk, campus="south", name="Noor Ticket", question="Is there a thesis template?"
    )
    pane = claim(ana, chat_id)

    pane.get_by_role("button", name="Transfer…").click()
    dialog = ana.locator("#transfer-dialog")
    expect(dialog.locator("#transfer-intro")).to_have_text(
        "Nobody from South Campus Library is online. Choose another librarian, or put the "
        "chat in a campus's queue."
    )
    main_button = dialog.get_by_role("button", name="Create ticket for South Campus Library")
    expect(main_button).to_be_focused()
    main_button.click()
    form = pane.locator(".chat-ticket-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Patron's email")).to_be_focused()
    problems = audit(ana, "console-ticket-form", axe)
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)

    # Creating it without an email says what to do; the patron is asked in the widget.
    form.get_by_role("button", name="Create ticket for South Campus Library").click()
    expect(form.locator(".ticket-form-status")).to_have_text(
        "A ticket is answered by email: type the patron's address, or ask them for it."
    )
    form.get_by_role("button", name="Ask the patron for it").click()
    expect(patron.get_by_role("heading", name="The librarian asks for your email")).to_be_visible()
    patron.get_by_label("Your email").fill("noor@example.edu")
    patron.get_by_role("button", name="Send email address").click()
    expect(form.get_by_label("Patron's email")).to_have_value("noor@example.edu")

    form.get_by_role("button", name="Create ticket for South Campus Library").click()
    expect(pane.locator(".ended-note")).to_have_text("Turned into a ticket.")
    expect(patron.locator("#messages .message.from-system .body").last).to_contain_text(
        "noor@example.edu"
    )
    ticket = cai.locator("#tickets .ticket-item").filter(has_text="Noor Ticket")
    expect(ticket).to_be_visible()
    expect(ticket.locator(".badge")).to_have_text("South Campus Library")
    ben.get_by_role("radio", name="Online").check()


@pytest.fixture
def patient_desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk of the test's own whose ticket offer comes after 2 s, swept every second."""
    served = start_desk(
        tmp_path / "patient-desk",
        settings={"REFDESK_TICKET_OFFER_SECONDS": "2", "REFDESK_SWEEP_SECONDS": "1"},
    )
    yield served
    stop_desk(served)


def test_a_patron_left_waiting_is_offered_a_ticket_and_takes_it(
    patient_desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    cai = log_in(contexts.new(), patient_desk, "cai")
    patron = contexts.new(phone=True).new_page()
    start_chat(patron, patient_desk, campus="south", name="Uma Waiting", question="Microfilm?")
    offer = patron.get_by_role("heading", name="Nobody is free just now")
    expect(offer).to_be_visible()
    problems = audit(patron, "ask-ticket-offer", axe)
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
    # "Keep waiting" only hides the offer; the chat stays in the queue.
    patron.get_by_role("button", name="Keep waiting").click()
    expect(offer).to_be_hidden()
    expect(patron.locator("#status")).to_contain_text("You are still in the queue")
    row = cai.locator("#queue .queue-item").filter(has_text="Uma Waiting")
    expect(row).to_be_visible()

    # Offered once per wait: reconnecting does not offer it again, but the patron asked
    # for it back by reloading gets the chat as it is.
    patron.reload()
    expect(patron.locator("#messages .message.from-patron .body").first).to_have_text("Microfilm?")
    expect(offer).to_be_hidden()

    # A second chat takes the offer: it leaves the queue as a ticket for its campus.
    second = contexts.new(phone=True).new_page()
    start_chat(second, patient_desk, campus="south", name="Vic Ticket", question="Thesis deposit?")
    expect(second.get_by_role("heading", name="Nobody is free just now")).to_be_visible()
    second.get_by_label("Your email").fill("vic@example.edu")
    second.get_by_role("button", name="Leave it as a ticket").click()
    expect(second.locator("#messages .message.from-system .body").last).to_contain_text(
        "vic@example.edu"
    )
    ticket = cai.locator("#tickets .ticket-item").filter(has_text="Vic Ticket")
    expect(ticket).to_be_visible()
    expect(cai.locator("#queue .queue-item").filter(has_text="Vic Ticket")).to_have_count(0)


def test_a_supervisor_takes_over_a_librarians_chat_from_the_list_of_librarians(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    dee = log_in(contexts.new(), desk, "dee")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Ola Over", question="Film scanner?")
    pane = claim(ana, chat_id)
    # Ana's row in Dee's list of librarians offers her chats; a librarian's does not.
    ana_row = dee.locator("#presence li", has_text="Ana")
    ana_row.get_by_role("button", name=re.compile(r"Their chats \(\d+\)")).click()
    take = ana_row.get_by_role("button", name="Take over the chat with Ola Over from Ana")
    expect(take).to_be_visible()
    expect(ana.locator("#presence .take-over-open")).to_have_count(0)
    take.click()
    dee_pane = dee.locator(f"#pane-{chat_id}")
    expect(dee_pane).to_be_visible()
    expect(dee_pane.locator(".messages .message.from-system .body").last).to_have_text(
        "Dee took over the chat from Ana."
    )
    expect(patron.locator("#chat-title")).to_have_text("Chatting with Dee")
    expect(pane.locator(".composer")).to_be_hidden()
    end_from_console(dee_pane)
