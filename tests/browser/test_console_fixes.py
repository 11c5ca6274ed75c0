"""The console where a newcomer tripped, fixed: the patron's details recorded from the panel,
a campus filter that hides without silencing, one closing line, campus colours on the
queue, Escape and focus around the end of a chat, the waited time that stops at the claim,
sound that plays (and says when it cannot), the home-campus countdown, and the patron's
place in the queue."""

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
    expect,
    log_in,
    queue_item,
    send_from_console,
    start_chat,
    start_desk,
    stop_desk,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

CLOSING = "I hope that helps. Have a great day!"
# The demo's "ask for the name" snippet: the line a chat without a name starts with.
ASK_NAME = "May I have your name while I look into this?"
RECEIVE = "frame => window.refdeskConsole.receive(frame)"
RINGS = "() => window.refdeskConsole.sound.rings.map(r => [r.level, r.chats])"
NAMES = {"north": "North Campus Library", "south": "South Campus Library"}


def made_up_chat(chat_id: int, campus: str, created_at: str, **fields: Any) -> dict[str, Any]:
    """A waiting chat that exists only in one console (no real chat reaches these ids)."""
    return {
        "id": chat_id,
        "state": "waiting",
        "end_reason": None,
        "campus": campus,
        "campus_name": NAMES[campus],
        "campus_colour": "#1f4e79",
        "patron_name": f"Patron {chat_id}",
        "patron_email": "",
        "question": "Do you have APA guides?",
        "name_was_question": False,
        "page_url": "",
        "browser": "Firefox 128 on Windows",
        "created_at": created_at,
        "claimed_at": None,
        "ended_at": None,
        "claimed_by": None,
        "claimed_by_id": None,
        "last_seq": 1,
        **fields,
    }


def server_time(page: Any, offset_ms: int = 0) -> str:
    """An ISO time on the server's clock as the console knows it."""
    iso: str = page.evaluate(
        "ms => new Date(window.refdeskConsole.store.now() + ms).toISOString()", offset_ms
    )
    return iso


def next_event_id(page: Any) -> int:
    event_id: int = page.evaluate("window.refdeskConsole.state.lastEventId") + 1_000_000
    return event_id


def leave(patron: Any) -> None:
    patron.get_by_role("button", name="Leave chat").click()
    expect(patron.locator("#new-chat")).to_be_visible()


# ---------------------------------------------------------------------------
# The patron panel
# ---------------------------------------------------------------------------


def test_the_name_and_email_a_patron_gives_are_recorded_and_the_tab_follows(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, question="Where are the study rooms?")
    pane = claim(ana, chat_id)
    box = pane.locator("textarea")
    expect(box).to_have_value(ASK_NAME)
    box.fill("")
    send_from_console(pane, "May I have your name and email?")
    # The patron answers; the librarian records it from the panel.
    patron.locator("#body").fill("Priya Patel, priya@example.edu")
    patron.locator("#body").press("Enter")
    pane.locator(".pane-title .patron-name").click()
    panel = ana.locator("#patron-panel")
    expect(ana.locator("#patron-title")).to_be_focused()
    form = panel.locator("#patron-form")
    expect(form).to_be_visible()

    # Hostile input is refused with a clear error, next to its field; nothing changes.
    form.get_by_label("Name").fill('<img src=x onerror="alert(1)">')
    form.get_by_role("button", name="Save details").click()
    expect(panel.locator("#patron-form-error")).to_have_text(
        "A name is plain text, without < > or a web address."
    )
    expect(form.get_by_label("Name")).to_be_focused()
    expect(ana.locator(f"#tab-{chat_id} .tab-name")).to_have_text("Where are the study rooms?")

    # The opening line not sent yet follows the name: the greeting replaces the question.
    box.fill(ASK_NAME)
    form.get_by_label("Name").fill("Priya Patel")
    form.get_by_label("Email").fill("priya@example.edu")
    form.get_by_role("button", name="Save details").click()
    expect(ana.locator(f"#tab-{chat_id} .tab-name")).to_have_text("Priya Patel")
    expect(pane.locator(".pane-title")).to_have_text("Priya Patel")
    expect(panel.locator("#patron-form-error")).to_be_hidden()
    details = dict(
        ana.eval_on_selector_all(
            "#patron-details dt",
            "terms => terms.map(dt => [dt.textContent, dt.nextElementSibling.textContent])",
        )
    )
    assert details["Name"] == "Priya Patel"
    assert details["Email"] == "priya@example.edu"
    expect(box).to_have_value("Hi Priya Patel, I'm Ana. I'm looking at your question now.")
    # The composer is a combobox (its snippets' type-ahead), named for the patron.
    expect(pane.get_by_role("combobox", name="Message to Priya Patel")).to_be_visible()
    problems = audit(ana, "console-patron-form", Axe())
    assert not problems, "\n".join(problems)
    leave(patron)


def test_the_waited_time_stops_at_the_claim(desk: Desk, contexts: Contexts) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    chat = made_up_chat(
        91_001,
        "north",
        "2025-03-04T15:00:00+00:00",
        state="active",
        claimed_at="2025-03-04T15:05:30+00:00",
        claimed_by="Ben",
        claimed_by_id=2,
    )
    ana.evaluate("chat => window.refdeskConsole.store.showPatron(chat)", chat)
    details = ana.locator("#patron-details")
    expect(details).to_contain_text("Waited")
    expect(details).to_contain_text("(5:30)")
    expect(ana.locator("#patron-form")).to_be_hidden()  # Ben's chat, not Ana's


# ---------------------------------------------------------------------------
# The queue: filter, colours, ringing
# ---------------------------------------------------------------------------


def test_the_campus_filter_hides_other_campuses_counts_them_and_they_still_ring(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    ana.locator("#campus-filter").select_option("south")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="north", question="Hidden by the filter?")
    ana.wait_for_function("id => window.refdeskConsole.state.queue.items.has(id)", arg=chat_id)
    expect(queue_item(ana, chat_id)).to_have_count(0)
    hidden = ana.evaluate(
        "() => { const q = window.refdeskConsole.state.queue;"
        " return q.total - q.totalFor('south'); }"
    )
    assert hidden >= 1
    expect(ana.locator("#filter-hidden")).to_have_text(
        re.compile(rf"^\s*{hidden} waiting in other campuses\s+Show all\s*$")
    )
    # It rang for Ana (her own campus: loud), though the filter hides it.
    ana.wait_for_function(
        "id => window.refdeskConsole.sound.rings.some(r => r.chats.includes(id))", arg=chat_id
    )
    rung = [level for level, chats in ana.evaluate(RINGS) if chat_id in chats]
    assert rung == ["loud"]
    ana.get_by_role("button", name="Show all").click()
    expect(ana.locator("#campus-filter")).to_have_value("")
    expect(ana.locator("#filter-hidden")).to_be_hidden()
    row = queue_item(ana, chat_id)
    expect(row).to_be_visible()
    # The row carries its campus's colour, with contrast enough against the page.
    assert "campus-north" in (row.get_attribute("class") or "")
    colour = row.evaluate("node => getComputedStyle(node).borderLeftColor")
    assert colour == "rgb(31, 78, 121)"
    assert contrast(colour, row.evaluate("node => getComputedStyle(node).backgroundColor")) >= 3
    leave(patron)


def _luminance(css: str) -> float:
    channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    a, b = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_the_home_campus_countdown_rings_its_campus_first_then_everyone_every_20_s(
    desk: Desk, contexts: Contexts
) -> None:
    context = contexts.new()
    context.clock.install()
    ana = log_in(context, desk, "ana")  # North
    base = next_event_id(ana)
    created = server_time(ana)
    until = server_time(ana, 5_000)
    south = made_up_chat(92_001, "south", created, home_until=until)
    north = made_up_chat(92_002, "north", created, home_until=until)
    for offset, chat in enumerate((south, north)):
        ana.evaluate(RECEIVE, {"type": "chat.created", "event_id": base + offset, "chat": chat})
    ana.wait_for_function("() => window.refdeskConsole.sound.rings.length > 0")
    # Only its own campus's chat rings for Ana while the window is open.
    assert ana.evaluate(RINGS) == [["loud", [north["id"]]]]
    south_row = queue_item(ana, south["id"])
    countdown = south_row.locator(".home-window")
    expect(countdown).to_have_text(re.compile(r"^Home campus first: South Campus Library: [45] s$"))
    # Readable, not a live region that chatters every second.
    assert countdown.evaluate("n => n.closest('[aria-live], [role=status]')") is None
    expect(south_row).not_to_have_class(re.compile("rings-all"))

    ana.clock.run_for(6_000)
    expect(countdown).to_have_text("Home campus first: Ringing for every campus")
    expect(south_row).to_have_class(re.compile("rings-all"))
    expect(queue_item(ana, north["id"])).to_have_class(re.compile("rings-all"))
    assert ana.evaluate(RINGS) == [["loud", [north["id"]]], ["soft", [south["id"]]]]

    # Every 20 s until claimed: north (loud) at 20 s, south (soft) 20 s after it first rang.
    ana.clock.run_for(20_000)
    assert ana.evaluate(RINGS)[2:] == [["loud", []], ["soft", []]]
    for offset, chat in enumerate((south, north), start=2):
        ana.evaluate(
            RECEIVE,
            {
                "type": "chat.ended",
                "event_id": base + offset,
                "chat_id": chat["id"],
                "reason": "patron_left",
                "chat": {**chat, "state": "ended", "end_reason": "patron_left"},
            },
        )
    ana.clock.run_for(21_000)
    assert len(ana.evaluate(RINGS)) == 4, "an ended chat rings no more"


@pytest.fixture
def quick_desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk of the test's own whose home-campus window lasts 2 s, swept every second."""
    served = start_desk(
        tmp_path / "quick-desk",
        settings={"REFDESK_HOME_CAMPUS_SECONDS": "2", "REFDESK_SWEEP_SECONDS": "1"},
    )
    yield served
    stop_desk(served)


def test_a_real_chat_rings_its_campus_first_then_everyone_with_the_window_shortened(
    quick_desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), quick_desk, "ana")  # North
    ben = log_in(contexts.new(), quick_desk, "ben")  # South
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, quick_desk, campus="south", question="Quiet room?")
    # Ben, of the patron's campus, hears it at once.
    ben.wait_for_function(
        "id => window.refdeskConsole.sound.rings.some(r => r.chats.includes(id))", arg=chat_id
    )
    assert [lvl for lvl, chats in ben.evaluate(RINGS) if chat_id in chats] == ["loud"]
    # Ana sees the countdown, and her console stays silent until the window ends...
    row = queue_item(ana, chat_id)
    expect(row).to_be_visible()
    summary = ana.evaluate("id => window.refdeskConsole.state.queue.items.get(id)", chat_id)
    assert summary["home_until"] is not None
    rang_for_ana = (
        "id => window.refdeskConsole.sound.rings.find(r => r.chats.includes(id))?.at ?? null"
    )
    # ... then it rings for her, softly (another campus), and the row is highlighted.
    expect(row).to_have_class(re.compile("rings-all"))
    expect(row.locator(".home-window")).to_have_text("Home campus first: Ringing for every campus")
    ana.wait_for_function(
        "id => window.refdeskConsole.sound.rings.some(r => r.chats.includes(id))", arg=chat_id
    )
    assert [lvl for lvl, chats in ana.evaluate(RINGS) if chat_id in chats] == ["soft"]
    first_ring = ana.evaluate(rang_for_ana, chat_id)
    assert first_ring >= ana.evaluate("t => Date.parse(t)", summary["home_until"]) - 100
    # The server closed the window too: every console got the summary with home_ended_at.
    ben.wait_for_function(
        "id => window.refdeskConsole.state.queue.items.get(id)?.home_ended_at", arg=chat_id
    )
    claim(ben, chat_id)
    expect(row).to_have_class(re.compile("claimed"))
    leave(patron)


def test_a_window_that_the_server_closed_early_rings_everyone_at_once(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    base = next_event_id(ana)
    chat = made_up_chat(93_001, "south", server_time(ana), home_until=server_time(ana, 60_000))
    ana.evaluate(RECEIVE, {"type": "chat.created", "event_id": base, "chat": chat})
    expect(queue_item(ana, chat["id"]).locator(".home-window")).to_contain_text(
        "South Campus Library:"
    )
    ended_at = server_time(ana)
    ana.evaluate(RECEIVE, {"type": "chat.updated", "chat": {**chat, "home_ended_at": ended_at}})
    expect(queue_item(ana, chat["id"])).to_have_class(re.compile("rings-all"))
    ana.wait_for_function(
        "id => window.refdeskConsole.sound.rings.some(r => r.chats.includes(id))",
        arg=chat["id"],
    )
    ana.evaluate(
        RECEIVE,
        {
            "type": "chat.ended",
            "event_id": base + 1,
            "chat_id": chat["id"],
            "reason": "patron_left",
            "chat": {**chat, "state": "ended", "end_reason": "patron_left"},
        },
    )


# Headless Chromium lets every page play sound, so the test browser is given the policy of
# a desktop browser: audio stays suspended until the page has had a click or a key press,
# and resume() outside one waits for one.
AUTOPLAY_POLICY = """
(() => {
  const Real = window.AudioContext;
  if (!Real) return;
  // A click or a key press in this document, as the browser's own policy counts them.
  let gesture = false;
  let held = false;
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, () => {
      gesture = true;
      held = true;
      setTimeout(() => (held = false), 0);
    }, { capture: true });
  }
  window.refdeskHadGesture = () => gesture;
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      this.allowed = gesture;
      if (!this.allowed) super.suspend();
    }
    get state() {
      return this.allowed ? super.state : "suspended";
    }
    resume() {
      if (!held && !this.allowed) return new Promise(() => {});
      this.allowed = true;
      return super.resume();
    }
  };
})();
"""


def open_console_afresh(contexts: Contexts, desk: Desk, username: str) -> Any:
    """The console opened from a bookmark with a live session, after the browser restarted:
    the page has had no click or key press yet (the log-in form's would count)."""
    cookies = log_in(contexts.new(), desk, username).context.cookies()
    context = contexts.new()
    context.add_init_script(AUTOPLAY_POLICY)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{desk.url}/console/")
    expect(page.locator("#connection")).to_have_text("Connected")
    return page


def test_blocked_sound_is_announced_and_the_first_click_turns_it_on(
    desk: Desk, contexts: Contexts
) -> None:
    ana = open_console_afresh(contexts, desk, "ana")
    assert ana.evaluate("window.refdeskHadGesture()") is False
    base = next_event_id(ana)
    chat = made_up_chat(94_001, "north", server_time(ana))
    # Before any click or key press on the console, a new chat's ring cannot play: the
    # console says so instead of ringing silently.
    ana.evaluate(RECEIVE, {"type": "chat.created", "event_id": base, "chat": chat})
    notice = ana.locator("#sound-blocked")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "status")
    assert ana.evaluate("window.refdeskConsole.sound.state()") == "suspended"
    assert ana.evaluate("window.refdeskConsole.sound.rings[0].played") is False
    notice.get_by_role("button", name="Turn sound on").click()
    expect(notice).to_be_hidden()
    ana.wait_for_function("window.refdeskConsole.sound.state() === 'running'")
    problems = audit(ana, "console-sound-blocked", Axe())
    assert not problems, "\n".join(problems)
    ana.evaluate(
        RECEIVE,
        {
            "type": "chat.ended",
            "event_id": base + 1,
            "chat_id": chat["id"],
            "reason": "patron_left",
            "chat": {**chat, "state": "ended", "end_reason": "patron_left"},
        },
    )


def test_any_first_key_press_on_the_console_lets_it_ring(desk: Desk, contexts: Contexts) -> None:
    ana = open_console_afresh(contexts, desk, "ana")
    ana.locator("#campus-filter").focus()
    ana.keyboard.press("Shift")
    ana.wait_for_function("window.refdeskConsole.sound.state() === 'running'")
    base = next_event_id(ana)
    chat = made_up_chat(94_002, "north", server_time(ana))
    ana.evaluate(RECEIVE, {"type": "chat.created", "event_id": base, "chat": chat})
    ana.wait_for_function("window.refdeskConsole.sound.rings.length > 0")
    assert ana.evaluate("window.refdeskConsole.sound.rings[0].played") is True
    expect(ana.locator("#sound-blocked")).to_be_hidden()
    ana.evaluate(
        RECEIVE,
        {
            "type": "chat.ended",
            "event_id": base + 1,
            "chat_id": chat["id"],
            "reason": "patron_left",
            "chat": {**chat, "state": "ended", "end_reason": "patron_left"},
        },
    )


# ---------------------------------------------------------------------------
# Ending a chat
# ---------------------------------------------------------------------------


def test_escape_cancels_the_end_and_the_closing_line_already_sent_is_not_sent_again(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, name="Lou Closing", question="Thanks for the help")
    pane = claim(ana, chat_id)
    pane.locator("textarea").fill("")

    pane.get_by_role("button", name="End chat with Lou Closing").click()
    confirm = pane.locator(".end-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("button", name="End chat")).to_be_focused()
    ana.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(pane.locator("textarea")).to_be_focused()

    pane.get_by_role("button", name="Closing line").click()
    pane.locator("textarea").press("Enter")
    expect(pane.locator(".message.from-librarian:not(.pending) .body").last).to_have_text(CLOSING)
    pane.get_by_role("button", name="End chat with Lou Closing").click()
    expect(confirm.locator(".check")).to_be_hidden()
    confirm.get_by_role("button", name="End chat").click()
    expect(pane.locator(".ended-note")).to_be_visible()
    # The keyboard lands beside the note, on "Close tab", not at the top of the page.
    expect(pane.get_by_role("button", name="Close tab")).to_be_focused()
    expect(patron.locator("#new-chat")).to_be_visible()
    closings = patron.locator("#messages .message.from-librarian .body", has_text=CLOSING)
    expect(closings).to_have_count(1)

    ana.keyboard.press("Enter")  # Close tab
    expect(ana.locator(f"#tab-{chat_id}")).to_have_count(0)
    expect(ana.locator("#queue")).to_be_focused()


def test_a_patron_who_ends_the_chat_leaves_the_keyboard_on_close_tab(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, name="Max Leaving", question="Never mind")
    pane = claim(ana, chat_id)
    expect(pane.locator("textarea")).to_be_focused()
    leave(patron)
    expect(pane.locator(".ended-note")).to_have_text("Patron left.")
    expect(pane.get_by_role("button", name="Close tab")).to_be_focused()


# ---------------------------------------------------------------------------
# The patron's page
# ---------------------------------------------------------------------------


def place(patron: Any) -> int:
    text = patron.locator("#queue-place").inner_text()
    if "You are next" in text:
        return 1
    found = re.search(r"You are number (\d+) in the queue\.", text)
    assert found, text
    return int(found.group(1))


def test_a_waiting_patron_sees_their_place_in_the_queue_kept_current(
    desk: Desk, contexts: Contexts
) -> None:
    ben = log_in(contexts.new(), desk, "ben")
    first = contexts.new(phone=True).new_page()
    first_id = start_chat(first, desk, campus="south", question="First in line")
    expect(first.locator("#queue-place")).to_contain_text("in the queue.")
    second = contexts.new(phone=True).new_page()
    start_chat(second, desk, campus="south", question="Second in line")
    expect(second.locator("#queue-place")).to_contain_text("in the queue.")
    before = place(second)
    assert before == place(first) + 1
    claim(ben, first_id)
    expect(first.locator("#status")).to_have_text("Ben has joined the chat.")
    expect(first.locator("#queue-place")).to_be_hidden()
    # Told by the sweeper's next round (every few seconds), without a reload.
    expected = "You are next in the queue." if before == 2 else f"You are number {before - 1} "
    expect(second.locator("#queue-place")).to_contain_text(expected, timeout=15_000)
    leave(second)
    leave(first)
