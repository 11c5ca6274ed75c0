"""The console's Tickets view in the browser, against a desk that emails through a real
SMTP server (aiosmtpd) started by the tests: a librarian finds a ticket by search, claims
it, replies, notes and sets it pending, and the patron's page shows the reply but not the
note; the patron answers from the emailed link and the ticket reopens live in the
consoles; the same work with the keyboard alone; axe on the Tickets view and a ticket."""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    expect,
    log_in,
    save_screenshot,
    start_chat,
    start_desk,
    stop_desk,
)
from tests.browser.test_accessibility import audit
from tests.browser.test_console import press_until
from tests.support.mail import SMTPServer, parts

pytestmark = pytest.mark.browser

LINK = re.compile(r"/tickets/([A-Za-z0-9_-]{40,})/")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory: pytest.TempPathFactory, smtp: SMTPServer) -> Iterator[Desk]:
    """A desk of this module's own whose replies go to the test's SMTP server."""
    served = start_desk(
        tmp_path_factory.mktemp("mail-desk"),
        settings={
            "REFDESK_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "REFDESK_FROM_EMAIL": "desk@lib.example.edu",
            # A waiting patron is offered a ticket at once (the chat-to-ticket case).
            "REFDESK_TICKET_OFFER_SECONDS": "1",
            # Pages of five tickets, so that paging back takes few tickets.
            "REFDESK_SNAPSHOT_TICKETS": "5",
        },
    )
    yield served
    stop_desk(served)


def file_ticket(desk: Desk, *, campus: str, name: str, email: str, question: str) -> int:
    """A patron files a ticket through the offline form's endpoint; its id."""
    request = urllib.request.Request(  # noqa: S310
        f"{desk.url}/api/tickets",
        data=json.dumps(
            {"campus": campus, "name": name, "email": email, "question": question}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201
        return int(json.load(response)["ticket_id"])


def mail_to(smtp: SMTPServer, address: str, *, count: int = 1) -> list[EmailMessage]:
    """The first ``count`` emails to ``address``, once they have come."""
    found: list[EmailMessage] = []

    def arrived() -> bool:
        found[:] = [m for m in smtp.messages if m["To"] == address]
        return len(found) >= count

    with smtp.inbox.arrived:
        assert smtp.inbox.arrived.wait_for(arrived, timeout=10), f"no email to {address}"
    return found[:count]


def row(console: Any, ticket_id: int) -> Any:
    return console.locator(f'#td-list .td-row[data-ticket-id="{ticket_id}"]')


def show_tickets(console: Any) -> Any:
    console.locator("#view-tickets-tab").click()
    expect(console.locator("#ticketdesk")).to_be_visible()
    expect(console.locator(".console-grid")).to_be_hidden()
    return console.locator("#ticketdesk")


def search(console: Any, words: str) -> None:
    console.locator("#td-q").fill(words)
    console.locator("#td-q").press("Enter")


def thread_entries(console: Any) -> Any:
    return console.locator("#ticket-view .tv-thread .tv-entry")


def unique(word: str) -> str:
    return f"{word}{secrets.token_hex(3)}"


def test_a_librarian_finds_claims_answers_notes_and_parks_a_ticket_the_patron_sees_no_note(
    mail_desk: Desk, smtp: SMTPServer, contexts: Contexts
) -> None:
    marker = unique("atlas")
    address = f"{marker}@example.edu"
    ticket_id = file_ticket(
        mail_desk,
        campus="south",
        name="Rae Searcher",
        email=address,
        question=f"Can I borrow the 1962 {marker} through interlibrary loan?",
    )
    ana = log_in(contexts.new(), mail_desk, "ana")
    show_tickets(ana)
    search(ana, marker.upper())
    expect(ana.locator("#td-list .td-row")).to_have_count(1)
    expect(ana.locator("#td-summary")).to_have_text(
        f"1 ticket: new, every campus, matching “{marker.upper()}”."
    )
    row(ana, ticket_id).locator(".td-open").click()

    view = ana.locator("#ticket-view")
    expect(view.locator("#ticket-view-title")).to_have_text(f"Ticket {ticket_id}: Rae Searcher")
    expect(view.locator("#ticket-view-title")).to_be_focused()
    expect(view.locator(".tv-question")).to_have_text(
        f"Can I borrow the 1962 {marker} through interlibrary loan?"
    )
    expect(view.locator(".tv-details")).to_contain_text(address)
    expect(view.locator(".tv-transcript")).to_be_hidden()
    expect(view.locator(".tv-owner-line")).to_have_text("Nobody has this ticket yet.")

    view.get_by_role("button", name="Claim").click()
    expect(view.locator(".tv-owner-line")).to_have_text("You have this ticket.")
    expect(view.locator(".tv-state-line .td-state")).to_have_text("Open")
    # Claimed, it is no longer new: it leaves the list of new tickets.
    expect(row(ana, ticket_id)).to_have_count(0)

    expect(view.locator("#tv-reply-hint")).to_contain_text(f"Emailed to {address}")
    view.locator("#tv-reply").fill("Yes: we can request it from the state library.")
    view.get_by_role("button", name="Send reply by email").click()
    expect(view.locator("#tv-reply-done")).to_have_text(f"Reply emailed to {address}.")
    expect(thread_entries(ana)).to_have_count(1)
    expect(thread_entries(ana).first.locator(".tv-send")).to_contain_text("Emailed")

    note = f"Secret-{marker}: ask Ben about the atlas case."
    expect(view.locator("#tv-note-hint")).to_contain_text("never emailed or shown to the patron")
    view.locator("#tv-note").fill(note)
    view.get_by_role("button", name="Add internal note").click()
    expect(thread_entries(ana)).to_have_count(2)
    noted = thread_entries(ana).nth(1)
    expect(noted).to_have_class(re.compile(r"\btv-entry-note\b"))
    expect(noted.locator(".tv-kind")).to_have_text("Internal note")
    expect(noted.locator(".tv-note-warning")).to_have_text("Never sent to the patron")

    view.get_by_role("button", name="Set pending").click()
    expect(view.locator(".tv-state-line .td-state")).to_have_text("Pending")
    ana.locator("#td-state").select_option("pending")
    expect(row(ana, ticket_id)).to_be_visible()
    expect(row(ana, ticket_id).locator(".td-owner")).to_have_text("Yours")

    (mail,) = mail_to(smtp, address)
    text, html = parts(mail)
    assert "Yes: we can request it from the state library." in text
    assert note not in text + html
    (token,) = set(LINK.findall(text))
    patron = contexts.new(phone=True).new_page()
    patron.goto(f"{mail_desk.url}/tickets/{token}/")
    expect(patron.locator("#ticket-thread .ticket-entry")).to_have_count(1)
    expect(patron.locator("#ticket-thread")).to_contain_text(
        "Yes: we can request it from the state library."
    )
    assert note not in patron.content()
    assert f"Secret-{marker}" not in patron.content()


def test_the_patron_answers_from_the_emailed_link_and_the_ticket_reopens_live(
    mail_desk: Desk, smtp: SMTPServer, contexts: Contexts
) -> None:
    marker = unique("fees")
    address = f"{marker}@example.edu"
    ticket_id = file_ticket(
        mail_desk,
        campus="north",
        name="Omar Answers",
        email=address,
        question=f"Why do I owe late fees ({marker}) on a book I returned?",
    )
    ana = log_in(contexts.new(), mail_desk, "ana")
    ben = log_in(contexts.new(), mail_desk, "ben")
    show_tickets(ana)
    search(ana, marker)
    row(ana, ticket_id).locator(".td-open").click()
    view = ana.locator("#ticket-view")
    view.locator("#tv-reply").fill("Which card number is on your account?")
    view.get_by_role("button", name="Send reply by email").click()
    expect(view.locator(".tv-state-line .td-state")).to_have_text("Pending")

    # Ben watches the open tickets of every campus: this one is not among them yet.
    show_tickets(ben)
    ben.locator("#td-state").select_option("open")
    expect(ben.locator("#td-summary")).to_contain_text("open, every campus")
    expect(row(ben, ticket_id)).to_have_count(0)

    (mail,) = mail_to(smtp, address)
    text, _html = parts(mail)
    (token,) = set(LINK.findall(text))
    patron = contexts.new(phone=True).new_page()
    patron.goto(f"{mail_desk.url}/tickets/{token}/")
    patron.locator("#answer-body").fill("It is 2211-0042, thank you.")
    patron.get_by_role("button", name="Send answer").click()
    expect(patron.locator("#ticket-status")).to_have_text(
        "Thank you. Your answer was sent to the library."
    )

    # Ana, who has it open, sees it reopen with the answer, and hears of it.
    expect(view.locator(".tv-state-line .td-state")).to_have_text("Open")
    expect(thread_entries(ana)).to_have_count(2)
    answer = thread_entries(ana).nth(1)
    expect(answer.locator(".tv-kind")).to_have_text("Patron's answer")
    expect(answer.locator(".tv-entry-body")).to_have_text("It is 2211-0042, thank you.")
    expect(view.locator(".tv-live")).to_have_text("Omar Answers answered.")
    # In Ben's console it moved into the open tickets, unassigned to him: Ana's.
    expect(row(ben, ticket_id)).to_be_visible()
    expect(row(ben, ticket_id).locator(".td-owner")).to_have_text("With Ana")
    expect(row(ben, ticket_id).locator(".td-state")).to_have_text("Open")


def test_a_ticket_opened_answered_and_closed_with_the_keyboard_alone(
    mail_desk: Desk, smtp: SMTPServer, contexts: Contexts
) -> None:
    marker = unique("keys")
    address = f"{marker}@example.edu"
    ticket_id = file_ticket(
        mail_desk,
        campus="downtown",
        name="Kai Keys",
        email=address,
        question=f"Can I use the scanner ({marker}) without an account?",
    )
    cai = log_in(contexts.new(), mail_desk, "cai")
    cai.locator("body").focus()
    press_until(cai, "Tab", "el.id === 'view-chats-tab'")
    cai.keyboard.press("ArrowRight")
    expect(cai.locator("#view-tickets-tab")).to_be_focused()
    expect(cai.locator("#view-tickets-tab")).to_have_attribute("aria-selected", "true")
    expect(cai.locator("#ticketdesk")).to_be_visible()

    press_until(cai, "Tab", "el.id === 'td-q'")
    cai.keyboard.type(marker)
    cai.keyboard.press("Enter")
    expect(cai.locator("#td-list .td-row")).to_have_count(1)
    press_until(cai, "Tab", f"el.closest('.td-row[data-ticket-id=\"{ticket_id}\"]') !== null")
    # The focus is seen: the keyboard's ring is drawn around the row.
    assert cai.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle !== 'none'"
        " && document.activeElement.matches(':focus-visible')"
    )
    cai.keyboard.press("Enter")
    expect(cai.locator("#ticket-view-title")).to_be_focused()
    expect(cai.locator("#ticket-view-title")).to_have_text(f"Ticket {ticket_id}: Kai Keys")

    press_until(cai, "Tab", "el.id === 'tv-reply'")
    cai.keyboard.type("Yes: the scanner on level 1 needs no account.")
    cai.keyboard.press("Control+Enter")
    view = cai.locator("#ticket-view")
    expect(view.locator("#tv-reply-done")).to_have_text(f"Reply emailed to {address}.")
    expect(cai.locator("#tv-reply")).to_be_focused()
    expect(cai.locator("#tv-reply")).to_have_value("")

    press_until(cai, "Shift+Tab", "el.textContent === 'Close ticket'")
    cai.keyboard.press("Enter")
    expect(view.locator(".tv-state-line .td-state")).to_have_text("Closed")
    expect(cai.locator("button.tv-close")).to_be_focused()

    # Escape leaves the ticket; the ticket left the new ones when it was answered, so the
    # focus lands on the list.
    cai.keyboard.press("Escape")
    expect(view).to_be_hidden()
    expect(cai.locator("#td-list")).to_be_focused()
    assert mail_to(smtp, address)


def test_axe_finds_nothing_serious_on_the_tickets_view_and_a_ticket(
    mail_desk: Desk, smtp: SMTPServer, contexts: Contexts
) -> None:
    """The list with the demo's tickets, and a ticket that came from a chat: its
    transcript, a reply the mail server refused (not sent yet) and a note."""
    axe = Axe()
    marker = unique("maps")
    address = f"{marker}@example.edu"
    ana = log_in(contexts.new(), mail_desk, "ana")
    patron = contexts.new(phone=True).new_page()
    start_chat(
        patron,
        mail_desk,
        campus="north",
        name="Tess Transcript",
        question=f"Do you have the {marker} city maps from 1910?",
    )
    # Nobody claims it: the widget offers a ticket (after 1 s on this desk).
    expect(patron.get_by_role("button", name="Leave it as a ticket")).to_be_visible()
    patron.get_by_label("Your email").fill(address)
    patron.get_by_role("button", name="Leave it as a ticket").click()

    show_tickets(ana)
    ticket_row = ana.locator("#td-list .td-row", has_text=marker)
    expect(ticket_row).to_be_visible()
    expect(ana.locator("#td-list .td-row").first).to_have_class(re.compile(r"\btd-row-mine\b"))
    problems = audit(ana, "console-tickets", axe)
    save_screenshot(ana, "console-tickets.png")

    ticket_row.locator(".td-open").click()
    view = ana.locator("#ticket-view")
    expect(view.locator(".tv-transcript")).to_be_visible()
    expect(view.locator(".tv-transcript summary")).to_contain_text("Chat transcript")
    expect(view.locator(".tv-transcript-lines")).to_contain_text(f"the {marker} city maps")

    smtp.stop()
    try:
        view.locator("#tv-reply").fill("We do: ask at the map room.")
        view.get_by_role("button", name="Send reply by email").click()
        expect(view.locator("#tv-reply-done")).to_have_text(
            "Reply saved, but not sent yet: it will be retried until it goes."
        )
        unsent = thread_entries(ana).first
        expect(unsent.locator(".tv-send")).to_contain_text("Not sent yet — will retry")
    finally:
        smtp.start()
    view.locator("#tv-note").fill("The 1910 set is in the basement.")
    view.get_by_role("button", name="Add internal note").click()
    expect(thread_entries(ana)).to_have_count(2)
    problems += audit(ana, "console-ticket", axe)
    save_screenshot(ana, "console-ticket.png", full_page=True)
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)


def test_a_claim_that_loses_the_race_says_who_has_the_ticket_and_errors_sit_by_their_controls(
    mail_desk: Desk, contexts: Contexts
) -> None:
    marker = unique("race")
    ticket_id = file_ticket(
        mail_desk,
        campus="north",
        name="Ria Race",
        email=f"{marker}@example.edu",
        question=f"Two of you at once ({marker})?",
    )
    ana = log_in(contexts.new(), mail_desk, "ana")
    ben = log_in(contexts.new(), mail_desk, "ben")
    show_tickets(ana)
    search(ana, marker)
    row(ana, ticket_id).locator(".td-open").click()
    view = ana.locator("#ticket-view")
    expect(view.locator(".tv-owner-line")).to_have_text("Nobody has this ticket yet.")

    show_tickets(ben)
    search(ben, marker)
    row(ben, ticket_id).locator(".td-open").click()
    ben.locator("#ticket-view").get_by_role("button", name="Claim").click()
    expect(ben.locator("#ticket-view .tv-owner-line")).to_have_text("You have this ticket.")
    # Ana's console hears it live, so her Claim goes away too ...
    expect(view.locator(".tv-owner-line")).to_have_text("Ben has this ticket.")
    expect(view.get_by_role("button", name="Claim")).to_be_hidden()
    # ... unless she pressed it before the news came: her view is put back as it was.
    ana.evaluate(
        "() => { const desk = window.refdeskConsole.store.ticketdesk;"
        " desk.state.open.ticket = {...desk.state.open.ticket, owner: null, owner_id: null};"
        " desk.emitTicket('changed'); }"
    )
    claim_button = view.get_by_role("button", name="Claim")
    expect(claim_button).to_be_visible()
    claim_button.click()
    expect(view.locator("#tv-claim-error")).to_have_text("Ben has that ticket.")
    expect(view.locator(".tv-owner-line")).to_have_text("Ben has this ticket.")
    # The button went; the line that says who has it has the focus.
    expect(view.locator(".tv-owner-line")).to_be_focused()

    # Each action's error in words, next to its control.
    view.get_by_role("button", name="Assign").click()
    expect(view.locator("#tv-assign-error")).to_have_text("Choose a librarian first.")
    expect(view.locator("#tv-assign")).to_be_focused()
    view.get_by_role("button", name="Move").click()
    expect(view.locator("#tv-move-error")).to_have_text("Choose a campus first.")
    view.get_by_role("button", name="Add internal note").click()
    expect(view.locator("#tv-note-error")).to_have_text("Write the note first.")
    # Past the box's limit (a script can get there): the server's answer, in words.
    view.locator("#tv-reply").evaluate("box => { box.value = 'x'.repeat(4001); }")
    view.get_by_role("button", name="Send reply by email").click()
    expect(view.locator("#tv-reply-error")).to_have_text(
        "Body is 4,001 characters; the limit is 4,000."
    )
    expect(view.locator("#tv-reply")).to_have_value("x" * 4001)
    expect(thread_entries(ana)).to_have_count(0)

    # Assigning to Cai and moving to the downtown queue go through, and show.
    view.locator("#tv-assign").select_option(label="Cai (downtown)")
    view.get_by_role("button", name="Assign").click()
    expect(view.locator(".tv-owner-line")).to_have_text("Cai has this ticket.")
    expect(view.locator("#tv-assign-error")).to_be_hidden()
    view.locator("#tv-move").select_option("downtown")
    view.get_by_role("button", name="Move").click()
    expect(view.locator(".tv-state-line .badge")).to_have_text("Downtown Library")
    expect(view.locator("#tv-move-error")).to_be_hidden()


def test_patron_text_shows_as_text_in_the_list_and_the_ticket(
    mail_desk: Desk, contexts: Contexts
) -> None:
    marker = unique("hostile")
    ticket_id = file_ticket(
        mail_desk,
        campus="north",
        name='<img src=x onerror="alert(1)"> \u202eKim',
        email=f"{marker}@example.edu",
        question=(
            f"<script>alert('{marker}')</script> see javascript:alert(2) and "
            "https://library.example.edu/guide."
        ),
    )
    ana = log_in(contexts.new(), mail_desk, "ana")
    show_tickets(ana)
    search(ana, marker)
    expect(row(ana, ticket_id)).to_be_visible()
    # What the desk stored (its cleaning is its own business) is shown exactly, as text.
    stored = ana.evaluate("id => window.refdeskConsole.state.ticketdesk.items.get(id)", ticket_id)
    assert "<script>" in stored["question"]
    expect(row(ana, ticket_id).locator(".td-who")).to_have_text(stored["name"] or stored["email"])
    row(ana, ticket_id).locator(".td-open").click()
    view = ana.locator("#ticket-view")
    expect(view.locator(".tv-question")).to_have_text(stored["question"])
    assert ana.locator("#ticketdesk img, #ticketdesk script").count() == 0
    links = view.locator(".tv-question a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://library.example.edu/guide")
    expect(links).to_have_attribute("rel", "noopener noreferrer")


def test_a_new_ticket_under_the_queue_opens_in_the_tickets_view(
    mail_desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), mail_desk, "ana")
    marker = unique("queue")
    ticket_id = file_ticket(
        mail_desk,
        campus="south",
        name="Uma Under",
        email=f"{marker}@example.edu",
        question=f"Is the {marker} room free?",
    )
    new_row = ana.locator(f'#tickets .ticket-item[data-ticket-id="{ticket_id}"]')
    new_row.get_by_role("button", name="Open ticket").click()
    expect(ana.locator("#view-tickets-tab")).to_have_attribute("aria-selected", "true")
    expect(ana.locator("#ticket-view-title")).to_have_text(f"Ticket {ticket_id}: Uma Under")
    expect(ana.locator("#ticket-view-title")).to_be_focused()
    expect(row(ana, ticket_id).locator(".td-open")).to_have_attribute("aria-current", "true")
    ana.locator("#view-chats-tab").click()
    expect(ana.locator(".console-grid")).to_be_visible()
    expect(ana.locator("#ticketdesk")).to_be_hidden()


def test_the_list_pages_back_and_puts_the_librarian_s_own_campus_first(
    mail_desk: Desk, contexts: Contexts
) -> None:
    marker = unique("pages")
    # The oldest is Ana's campus's; six newer ones are the south's. Pages hold five.
    north = file_ticket(
        mail_desk,
        campus="north",
        name="Nia North",
        email=f"n-{marker}@example.edu",
        question=f"North {marker}",
    )
    south = [
        file_ticket(
            mail_desk,
            campus="south",
            name=f"Sol {i}",
            email=f"s{i}-{marker}@example.edu",
            question=f"South {marker} {i}",
        )
        for i in range(6)
    ]
    ana = log_in(contexts.new(), mail_desk, "ana")
    show_tickets(ana)
    search(ana, marker)
    ids = "els => els.map(el => Number(el.dataset.ticketId))"
    # The newest page of every campus, and beside it Ana's campus's: hers first.
    expect(ana.locator("#td-list .td-row")).to_have_count(6)
    assert ana.eval_on_selector_all("#td-list .td-row", ids) == [north, *reversed(south[1:])]
    older = ana.locator("#td-older")
    expect(older).to_be_visible()
    older.focus()
    ana.keyboard.press("Enter")
    expect(ana.locator("#td-list .td-row")).to_have_count(7)
    assert ana.eval_on_selector_all("#td-list .td-row", ids) == [north, *reversed(south)]
    expect(older).to_be_hidden()
    # The button went with the last page: the focus is on the first ticket it brought.
    expect(row(ana, south[0]).locator(".td-open")).to_be_focused()
    expect(ana.locator("#td-summary")).to_have_text(
        f"7 tickets: new, every campus, matching “{marker}”."
    )
