"""Campus facts at hand: the automatic hours answer in the widget, the campus panel and the
reference-interview card beside a chat in the console, and axe with them open."""

from __future__ import annotations

import json
import re
import urllib.request
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
    save_screenshot,
    start_chat,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

STILL_QUEUED = "You are still in the queue: a librarian will be with you soon."
CATALOGUE = "https://search.library.example.edu/"


def campus_today(desk: Desk, slug: str) -> dict[str, Any]:
    """The public /api/campuses entry of one campus: what its hours are today."""
    with urllib.request.urlopen(f"{desk.url}/api/campuses", timeout=10) as response:  # noqa: S310
        campuses = json.load(response)["campuses"]
    (campus,) = [c for c in campuses if c["slug"] == slug]
    return dict(campus)


def hold_acks_until_the_next_message(page: Any) -> list[str]:
    """Route the page's patron socket so that the ack of the first line the patron sends
    reaches the page only after the next ``message`` event: the order in which the
    automatic answer can overtake the ack of the line it answers. Returns the types of the
    frames the page got."""
    got: list[str] = []
    holding = [True]

    def route(ws: Any) -> None:
        server = ws.connect_to_server()
        held: list[str] = []

        def from_server(text: str) -> None:
            frame = json.loads(text)
            if holding[0] and frame["type"] == "ack" and "message" in frame:
                holding[0] = False
                held.append(text)
                return
            ws.send(text)
            got.append(frame["type"])
            if frame["type"] == "message":
                for ack in held:
                    ws.send(ack)
                    got.append("ack")
                held.clear()

        server.on_message(from_server)
        ws.on_message(server.send)

    page.route_web_socket(re.compile(r".*/ws/patron/.*"), route)
    return got


def test_a_waiting_patron_asking_about_hours_gets_the_automatic_answer_in_order(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "cai")
    patron = contexts.new(phone=True).new_page()
    got = hold_acks_until_the_next_message(patron)
    chat_id = start_chat(patron, desk, campus="north", name="Hal", question="Thesis binding?")

    patron.locator("#body").fill("what time do you close today?")
    patron.locator("#body").press("Enter")

    answer = patron.locator("#messages .message.automatic")
    expect(answer).to_have_count(1)
    expect(answer.locator(".who")).to_have_text("Automatic answer")
    hours = campus_today(desk, "north")["hours_today"]
    body = answer.locator(".body").inner_text()
    assert body.startswith("North Campus Library's hours today (")
    assert f"): {hours}." in body and body.endswith(STILL_QUEUED), body
    # The ack of the patron's line came after the answer, and the line still took its
    # place before it: every line once, in seq order, none left "sending…".
    expect(patron.locator("#messages .message.pending")).to_have_count(0)
    seqs = patron.eval_on_selector_all("#messages .message", "ns => ns.map(n => n.dataset.seq)")
    assert seqs == ["1", "2", "3"], seqs
    assert got.index("message") < got.index("ack"), got
    expect(patron.locator("#messages .message").nth(1).locator(".body")).to_have_text(
        "what time do you close today?"
    )
    # The chat is still in the queue, and a second question at once is not answered again.
    expect(console.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')).to_be_visible()
    patron.locator("#body").fill("hours?")
    patron.locator("#body").press("Enter")
    expect(patron.locator("#messages .message.from-patron:not(.pending)")).to_have_count(3)
    expect(answer).to_have_count(1)

    # A librarian who claims the chat sees the answer labelled too.
    pane = claim(console, chat_id)
    expect(pane.locator(".message.automatic .who")).to_have_text("Automatic answer")
    save_screenshot(patron, "widget-automatic-hours-answer.png")
    end_from_console(pane)


def test_the_campus_panel_and_the_interview_card_put_text_in_the_composer(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "ben")
    supervisor = log_in(contexts.new(), desk, "dee")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Ivy", question="Theses?")
    pane = claim(console, chat_id)
    panel = pane.locator(".campus-panel")
    today = campus_today(desk, "north")

    expect(panel.get_by_role("heading", name="North Campus Library")).to_be_visible()
    expect(panel.locator(".facts-hours")).to_have_text(today["hours_today"])
    expect(panel.locator(".facts-status")).to_have_text(
        re.compile(r"^Open now, until .+$" if today["open_now"] else r"^Closed now")
    )
    expect(panel.locator(".facts-notes")).to_have_text(
        "Laptops lend for 4 hours at the ground-floor desk.\nGroup rooms: book online."
    )
    # A librarian reads the notes; only supervisors and admins edit them.
    expect(panel.get_by_role("button", name="Edit notes")).to_have_count(0)

    # A link goes in at the caret, spaced from the words around it.
    box = pane.locator(f"#compose-{chat_id}")
    box.fill("Try the catalogue:today")
    box.evaluate("b => b.setSelectionRange(18, 18)")
    panel.get_by_role("button", name="Insert Catalogue link").click()
    expect(box).to_have_value(f"Try the catalogue: {CATALOGUE} today")
    expect(box).to_be_focused()
    assert box.evaluate("b => b.selectionStart") == len(f"Try the catalogue: {CATALOGUE} ")

    # Facts past their changes_at are asked for again, and the panel shows the new ones.
    console.evaluate(
        """() => {
            const { state, receive } = window.refdeskConsole;
            const facts = state.campusFacts.get("north");
            const stale = { ...facts, hours_today: "Stale", changes_at: "2000-01-01T00:00:00Z" };
            receive({ type: "campus.facts", facts: stale });
        }"""
    )
    expect(panel.locator(".facts-hours")).to_have_text(today["hours_today"])

    # The interview card: one click puts a question in; collapsed, it stays collapsed.
    card = pane.locator(".interview-card")
    box.fill("")
    card.get_by_role("button", name="What have you tried so far?").click()
    expect(box).to_have_value("What have you tried so far?")
    toggle = card.get_by_role("button", name="Reference interview")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(card.locator(".interview-questions")).to_be_hidden()
    console.reload()
    pane = console.locator(f"#pane-{chat_id}")
    console.locator(f"#tab-{chat_id}").click()
    toggle = pane.get_by_role("button", name="Reference interview")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(pane.locator(".interview-questions")).to_be_visible()
    expect(pane.locator(".interview-question")).to_have_count(4)
    save_screenshot(console, "console-campus-panel.png")

    # A supervisor edits the notes beside a chat of the campus; every console sees them.
    other_patron = contexts.new(phone=True).new_page()
    other_id = start_chat(other_patron, desk, campus="north", name="Joe", question="Maps?")
    supervising = claim(supervisor, other_id)
    editor = supervising.locator(".campus-panel")
    editor.get_by_role("button", name="Edit notes").click()
    notes = editor.get_by_label("Staff notes for North Campus Library")
    expect(notes).to_be_focused()
    notes.fill("Laptops lend for 4 hours.\nThe map room is on level 2.")
    editor.get_by_role("button", name="Save notes").click()
    expect(editor.get_by_role("status")).to_have_text("Notes saved.")
    expect(editor.get_by_role("button", name="Edit notes")).to_be_focused()
    expect(pane.locator(".facts-notes")).to_have_text(
        "Laptops lend for 4 hours.\nThe map room is on level 2."
    )
    end_from_console(supervising)
    end_from_console(pane)


def test_axe_finds_nothing_serious_with_the_campus_panel_open(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "dee")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="south", name="Kit", question="Archive?")
    pane = claim(console, chat_id)
    expect(pane.locator(".campus-panel .facts-hours")).to_be_visible()
    pane.locator(".campus-panel").get_by_role("button", name="Edit notes").click()
    expect(pane.locator(".interview-question").first).to_be_visible()
    problems = audit(console, "console-campus-panel", Axe())
    assert not problems, "\n".join(problems)
    end_from_console(pane)
