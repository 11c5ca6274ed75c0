"""The console under a flood of chats: a paged queue, drawn row by row, and dismissing spam."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    expect,
    flood_queue,
    log_in,
    queue_item,
    start_chat,
)
from tests.browser.test_console import press_until

pytestmark = pytest.mark.browser


# The row of a chat is still the node it was (a mark set on it survives), and the keyboard
# focus is still on its claim button.
KEPT_AND_FOCUSED = """id => {
    const row = document.querySelector(`#queue .queue-item[data-chat-id="${id}"]`);
    return row !== null && row.refdeskMark === "kept"
        && document.activeElement === row.querySelector(".claim");
}"""


def waiting_rows(console: Any) -> Any:
    return console.locator("#queue .queue-item:not(.claimed)")


def test_a_flooded_queue_comes_a_page_at_a_time_and_new_chats_do_not_redraw_it(
    flood_desk: Desk, contexts: Contexts
) -> None:
    # 300 chats, 100 at each campus in turn: north, south, downtown, north, …
    seeded = flood_queue(flood_desk, 300)
    ana = log_in(contexts.new(), flood_desk, "ana")

    # The newest page, oldest first, and every waiting chat counted.
    expect(ana.locator("#waiting-count")).to_have_text("300")
    expect(waiting_rows(ana)).to_have_count(100)
    expect(waiting_rows(ana).first).to_have_attribute("data-chat-id", str(seeded[200]))
    expect(ana.get_by_role("button", name="Show older chats (200 more)")).to_be_visible()
    # A librarian has no controls to dismiss chats.
    expect(ana.locator("#queue-tools")).to_be_hidden()
    expect(ana.locator("#queue .select-chat")).to_have_count(0)

    # A keyboard user is on a claim button when a patron starts a chat.
    kept = seeded[250]
    ana.evaluate(
        "id => { document.querySelector("
        "`#queue .queue-item[data-chat-id=\"${id}\"]`).refdeskMark = 'kept'; }",
        kept,
    )
    queue_item(ana, kept).locator(".claim").focus()
    patron = contexts.new(phone=True).new_page()
    new_id = start_chat(
        patron, flood_desk, campus="south", name="Rhea Real", question="Any group rooms free?"
    )
    expect(waiting_rows(ana).last).to_have_attribute("data-chat-id", str(new_id))
    expect(ana.locator("#waiting-count")).to_have_text("301")
    assert ana.evaluate(KEPT_AND_FOCUSED, kept), "the queue was redrawn or the focus moved"

    # Another librarian claims the new chat: its row changes, and no other.
    ben = log_in(contexts.new(), flood_desk, "ben")
    claim(ben, new_id)
    expect(queue_item(ana, new_id)).to_contain_text("Claimed by Ben")
    expect(ana.locator("#waiting-count")).to_have_text("300")
    assert ana.evaluate(KEPT_AND_FOCUSED, kept), "a claim redrew the queue or moved the focus"
    expect(ana).to_have_title("(300) Console — refdesk")

    # Filtering by a campus asks the server for that campus's chats the page lacked.
    ana.locator("#campus-filter").select_option("downtown")
    expect(waiting_rows(ana)).to_have_count(100)
    expect(ana.locator("#queue-older")).to_be_hidden()
    ana.locator("#campus-filter").select_option("")
    # The page (100) and the older downtown chats (66) are shown; the rest is a click away.
    expect(waiting_rows(ana)).to_have_count(166)
    older = ana.get_by_role("button", name="Show older chats (134 more)")
    expect(older).to_be_visible()

    # The keyboard pages back to the oldest chat.
    older.focus()
    ana.keyboard.press("Enter")
    expect(ana.get_by_role("button", name="Show older chats (67 more)")).to_be_focused()
    ana.keyboard.press("Enter")
    expect(waiting_rows(ana)).to_have_count(300)
    expect(ana.locator("#queue-older")).to_be_hidden()
    expect(waiting_rows(ana).first).to_have_attribute("data-chat-id", str(seeded[0]))
    expect(waiting_rows(ana).first.locator(".claim")).to_be_focused()
    ids = ana.eval_on_selector_all(
        "#queue .queue-item:not(.claimed)", "rows => rows.map(row => Number(row.dataset.chatId))"
    )
    assert ids == seeded
    assert ana.evaluate(
        'id => document.querySelector(`#queue .queue-item[data-chat-id="${id}"]`)'
        ".refdeskMark === 'kept'",
        kept,
    )


def test_a_supervisor_dismisses_a_batch_of_spam_from_the_keyboard_and_every_console_follows(
    flood_desk: Desk, contexts: Contexts
) -> None:
    flood_queue(flood_desk, 40, name="Spam")  # 14 at north, 13 at south, 13 downtown
    dee = log_in(contexts.new(), flood_desk, "dee")
    ana = log_in(contexts.new(), flood_desk, "ana")
    spammer = contexts.new(phone=True).new_page()
    spammer_id = start_chat(spammer, flood_desk, name="Spam 40", question="BUY NOW")
    reader = contexts.new(phone=True).new_page()
    reader_id = start_chat(
        reader, flood_desk, name="Rosa Reader", question="Is the new Le Guin in yet?"
    )
    for console in (dee, ana):
        expect(console.locator("#waiting-count")).to_have_text("42")
    expect(ana.locator("#queue-tools")).to_be_hidden()
    expect(ana.locator("#queue .select-chat")).to_have_count(0)

    # Dee shows the north queue and selects every chat in it but Rosa's.
    dee.locator("#campus-filter").select_option("north")
    expect(waiting_rows(dee)).to_have_count(16)
    expect(dee.locator("#waiting-count")).to_have_text("16")
    dee.locator("#campus-filter").focus()
    press_until(dee, "Tab", "el.id === 'select-shown'")
    dee.keyboard.press("Enter")
    dismiss = dee.locator("#dismiss-selected")
    expect(dismiss).to_have_text("Dismiss selected as spam (16)")
    rosa = dee.get_by_role("checkbox", name="Select chat with Rosa Reader")
    expect(rosa).to_be_checked()
    rosa.focus()
    dee.keyboard.press("Space")
    expect(rosa).not_to_be_checked()
    expect(dismiss).to_have_text("Dismiss selected as spam (15)")

    # A confirmation first; then every console loses those rows at once.
    dismiss.focus()
    dee.keyboard.press("Enter")
    confirm = dee.get_by_role("button", name="Dismiss 15 chats")
    expect(confirm).to_be_focused()
    expect(dee.locator("#dismiss-confirm")).to_contain_text("Dismiss 15 waiting chats as spam?")
    dee.keyboard.press("Enter")
    expect(waiting_rows(dee)).to_have_count(1)
    expect(queue_item(dee, reader_id)).to_be_visible()
    # The count is of the view: Dee's shows the north queue, Ana's every queue.
    expect(dee.locator("#waiting-count")).to_have_text("1")
    expect(dee).to_have_title("(27) Console — refdesk")
    expect(ana.locator("#waiting-count")).to_have_text("27")
    expect(queue_item(ana, spammer_id)).to_have_count(0)
    expect(queue_item(ana, reader_id)).to_be_visible()
    expect(waiting_rows(ana)).to_have_count(27)
    expect(dismiss).to_have_text("Dismiss selected as spam (0)")
    expect(dismiss).to_be_disabled()

    # The spammer is told, plainly, that the chat has ended; Rosa still waits.
    expect(spammer.locator("#status")).to_have_text("The chat has ended.")
    expect(spammer.locator("#body")).to_be_disabled()
    expect(reader.locator("#body")).to_be_enabled()


def test_junk_tickets_never_push_a_real_one_out_of_sight(
    flood_desk: Desk, contexts: Contexts
) -> None:
    (real,) = flood_queue(flood_desk, 1, name="Rosa Real", kind="ticket")
    junk = flood_queue(flood_desk, 110, name="Junk", kind="ticket")
    ana = log_in(contexts.new(), flood_desk, "ana")
    tickets = ana.locator("#tickets .ticket-item")
    expect(tickets).to_have_count(100)
    expect(ana.locator("#tickets-count")).to_have_text("111")
    expect(tickets.first).to_have_attribute("data-ticket-id", str(junk[-1]))

    # A live ticket is added and counted; the oldest shown stays.
    response = post_ticket(flood_desk, "Lee Live", "Can I book a carrel?")
    expect(tickets).to_have_count(101)
    expect(tickets.first).to_have_attribute("data-ticket-id", str(response["ticket_id"]))
    expect(ana.locator("#tickets-count")).to_have_text("112")
    expect(ana.locator(f'#tickets .ticket-item[data-ticket-id="{junk[10]}"]')).to_be_visible()

    # The rest is one click away, the real one last.
    ana.get_by_role("button", name="Show older tickets (11 more)").click()
    expect(tickets).to_have_count(112)
    expect(tickets.last).to_have_attribute("data-ticket-id", str(real))
    expect(tickets.last.locator(".ticket-who")).to_have_text("Rosa Real 0")
    expect(ana.locator("#tickets-older")).to_be_hidden()

    # A campus filter asks the server for the campus's tickets the page lacked.
    ana.reload()
    expect(ana.locator("#connection")).to_have_text("Connected")
    ana.locator("#campus-filter").select_option("north")
    expect(ana.locator("#tickets-count")).to_have_text("39")
    expect(tickets).to_have_count(39)
    expect(ana.locator(f'#tickets .ticket-item[data-ticket-id="{real}"]')).to_be_visible()


def post_ticket(desk: Desk, name: str, question: str) -> dict[str, Any]:
    body = {"campus": "north", "name": name, "email": "lee@example.edu", "question": question}
    request = urllib.request.Request(  # noqa: S310 - the desk's own http URL
        f"{desk.url}/api/tickets",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.load(response))


def test_a_ticket_that_leaves_new_leaves_the_list_and_its_count(
    flood_desk: Desk, contexts: Contexts
) -> None:
    # The first is at the first campus (north), and on a page the console does not load.
    made = flood_queue(flood_desk, 103, name="Old", kind="ticket")
    ana = log_in(contexts.new(), flood_desk, "ana")
    expect(ana.locator("#tickets-count")).to_have_text("103")
    expect(ana.locator("#tickets .ticket-item")).to_have_count(100)
    shown = ana.evaluate("id => window.refdeskConsole.state.tickets.items.get(id)", made[-1])
    unshown = {**shown, "id": made[0], "campus": "north", "campus_name": "North Campus Library"}
    assert ana.evaluate("id => window.refdeskConsole.state.tickets.items.has(id)", made[0]) is False

    # The frames the retention purge sends when it closes tickets nobody closed.
    for ticket in (shown, unshown):
        ana.evaluate(
            "frame => window.refdeskConsole.receive(frame)",
            {
                "type": "ticket.updated",
                "previous_state": "new",
                "ticket": {**ticket, "state": "closed"},
            },
        )
    expect(ana.locator(f'#tickets .ticket-item[data-ticket-id="{made[-1]}"]')).to_have_count(0)
    expect(ana.locator("#tickets-count")).to_have_text("101")
    expect(ana.get_by_role("button", name="Show older tickets (2 more)")).to_be_visible()
    ana.locator("#campus-filter").select_option("north")
    # 35 of the 103 are at north (every third, from the first), two of them now closed.
    expect(ana.locator("#tickets-count")).to_have_text("33")
