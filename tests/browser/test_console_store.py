"""The console's store applies frames without a page; its views draw each change in place.

The store is run in a module worker, where there is no document: a handler that touched
the page would fail there. The worker is a few lines served at a path beside the store
(by the test, not by the desk), so that it imports the store the console itself loads.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Contexts, Desk, expect, log_in, queue_item

pytestmark = pytest.mark.browser

HARNESS_PATH = "/static/refdesk/js/console/store-check.js"
HARNESS = """
import { Store } from "./store.js";

const store = new Store({ me: { id: 3, name: "Ana", campus: "north", role: "librarian" } });
const topics = ["me", "queue", "tickets", "selection", "chats", "presence", "arrival", "say",
  "needs"];
let changes = [];
for (const topic of topics) {
  store.subscribe(topic, (change) => changes.push([topic, change.kind ?? change.what ?? null]));
}

function seen(state) {
  return {
    queue: [...state.queue.items.values()].map((chat) => [chat.id, chat.state]),
    waitingTotal: state.queue.total,
    waitingByCampus: Object.fromEntries(state.queue.byCampus),
    tickets: [...state.tickets.items.keys()],
    ticketsTotal: state.tickets.total,
    chats: [...state.chats.values()].map((chat) => ({
      id: chat.id, seqs: chat.messages.map((m) => m.seq), unread: chat.unread,
      ended: chat.ended, endReason: chat.endReason, typing: chat.typing,
    })),
    current: state.current,
    presence: [...state.presence.values()].map((p) => [p.display_name, p.status]),
  };
}

onmessage = ({ data: frames }) => {
  const steps = frames.map((frame) => {
    changes = [];
    store.receive(frame);
    return { changes, state: seen(store.state) };
  });
  postMessage({ steps, page: typeof document !== "undefined" });
};
"""

RUN_IN_WORKER = """async ([path, frames]) => {
    const worker = new Worker(path, { type: "module" });
    try {
        return await new Promise((resolve, reject) => {
            worker.onmessage = (event) => resolve(event.data);
            worker.onerror = (event) => reject(new Error(event.message || "the worker failed"));
            worker.postMessage(frames);
        });
    } finally {
        worker.terminate();
    }
}"""


def chat(chat_id: int, campus: str = "north", **fields: Any) -> dict[str, Any]:
    names = {"north": "North Campus Library", "south": "South Campus Library"}
    return {
        "id": chat_id,
        "state": "waiting",
        "end_reason": None,
        "campus": campus,
        "campus_name": names[campus],
        "campus_colour": "#1f4e79",
        "patron_name": f"Patron {chat_id}",
        "patron_email": "",
        "question": "Do you have APA guides?",
        "name_was_question": False,
        "page_url": "",
        "browser": "Firefox 128 on Windows",
        "created_at": f"2025-03-04T15:{chat_id:02d}:00.000001+00:00",
        "claimed_at": None,
        "ended_at": None,
        "claimed_by": None,
        "claimed_by_id": None,
        "last_seq": 1,
        **fields,
    }


def message(chat_id: int, seq: int, sender: str = "patron") -> dict[str, Any]:
    return {
        "type": "message",
        "chat_id": chat_id,
        "seq": seq,
        "sender": sender,
        "sender_name": "Sam",
        "body": f"Line {seq}",
        "client_id": "",
        "sent_at": "2025-03-04T15:30:00.000001+00:00",
    }


def ticket(ticket_id: int, state: str = "new") -> dict[str, Any]:
    return {
        "id": ticket_id,
        "state": state,
        "campus": "north",
        "campus_name": "North Campus Library",
        "name": "Kim",
        "email": "kim@example.edu",
        "question": "Renew by email?",
        "created_at": f"2025-03-03T22:{ticket_id:02d}:10.000001+00:00",
    }


def presence(name: str, librarian_id: int, status: str) -> dict[str, Any]:
    return {
        "librarian_id": librarian_id,
        "display_name": name,
        "campus": "north",
        "status": status,
    }


ACTIVE = chat(20, state="active", claimed_at="2025-03-04T15:21:00+00:00", claimed_by="Ana")
FRAMES: list[dict[str, Any]] = [
    {
        "type": "snapshot",
        "event_id": 100,
        "me": {"librarian_id": 3, "display_name": "Ana", "campus": "north", "role": "librarian"},
        "waiting": [chat(11), chat(12, "south")],
        "waiting_total": 5,
        "waiting_by_campus": {"north": 3, "south": 2},
        "active": [{**ACTIVE, "claimed_by_id": 3, "messages": [message(20, 1), message(20, 2)]}],
        "ended": [],
        "transfer_offers": [],
        "presence": [presence("Ana", 3, "online")],
        "tickets": [ticket(7)],
        "tickets_total": 3,
        "tickets_by_campus": {"north": 3},
    },
    # An event the snapshot already counted, for a chat it already shows.
    {"type": "chat.created", "event_id": 90, "chat": chat(11)},
    {"type": "chat.created", "event_id": 101, "chat": chat(13)},
    {
        "type": "chat.claimed",
        "event_id": 102,
        "chat_id": 11,
        "by": "Ben",
        "by_id": 4,
        "chat": chat(11, state="active", claimed_by="Ben", claimed_by_id=4),
    },
    # Claimed in another window of Ana's: this console has no tab for it yet.
    {
        "type": "chat.claimed",
        "event_id": 103,
        "chat_id": 12,
        "by": "Ana",
        "by_id": 3,
        "chat": chat(12, "south", state="active", claimed_by="Ana", claimed_by_id=3),
    },
    message(20, 2),
    {"type": "typing", "chat_id": 20, "sender": "patron", "active": True},
    message(20, 3),
    {
        "type": "chat.ended",
        "event_id": 104,
        "chat_id": 13,
        "reason": "patron_left",
        "chat": chat(13, state="ended", end_reason="patron_left"),
    },
    {
        "type": "chat.ended",
        "event_id": 105,
        "chat_id": 20,
        "reason": "patron_left",
        "chat": {**ACTIVE, "state": "ended", "end_reason": "patron_left", "claimed_by_id": 3},
    },
    # Closed by the retention purge: one on the page the console holds, one not.
    {"type": "ticket.updated", "ticket": ticket(99, "closed"), "previous_state": "new"},
    {"type": "ticket.created", "ticket": ticket(8)},
    {"type": "ticket.created", "ticket": ticket(8)},
    {"type": "presence", **presence("Ben", 4, "online")},
    {"type": "error", "code": "rate_limited", "message": "Slow down.", "retry_after": 0.1},
    {"type": "error", "code": "not_yours", "message": "Not yours.", "chat_id": 12},
    {"type": "chat.transferred", "chat_id": 20},
]


def test_the_store_applies_each_frame_without_a_page_and_says_what_changed(
    desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new().new_page()
    page.route(
        f"**{HARNESS_PATH}",
        lambda route: route.fulfill(body=HARNESS, content_type="text/javascript"),
    )
    page.goto(f"{desk.url}/accounts/login/")
    result = page.evaluate(RUN_IN_WORKER, [HARNESS_PATH, FRAMES])
    assert result["page"] is False, "the store must run where there is no document"
    steps = result["steps"]
    assert len(steps) == len(FRAMES)
    (
        snapshot,
        counted_before,
        created,
        claimed_by_ben,
        claimed_elsewhere,
        repeated_line,
        typing,
        new_line,
        waiting_ended,
        mine_ended,
        purged,
        ticket_created,
        ticket_again,
        ben_online,
        rate_limited,
        refused,
        reserved,
    ) = steps

    state = snapshot["state"]
    assert state["queue"] == [[11, "waiting"], [12, "waiting"]]
    assert (state["waitingTotal"], state["waitingByCampus"]) == (5, {"north": 3, "south": 2})
    assert state["chats"] == [
        {"id": 20, "seqs": [1, 2], "unread": 0, "ended": False, "endReason": None, "typing": False}
    ]
    assert state["current"] == 20
    assert (state["tickets"], state["ticketsTotal"]) == ([7], 3)
    assert state["presence"] == [["Ana", "online"]]
    for change in (["queue", "reset"], ["chats", "open"], ["tickets", "reset"]):
        assert change in snapshot["changes"]

    assert counted_before["state"]["waitingTotal"] == 5
    assert ["arrival", None] not in counted_before["changes"]
    assert created["state"]["waitingTotal"] == 6
    assert created["changes"] == [["queue", "put"], ["arrival", None], ["queue", "counts"]]

    assert [11, "active"] in claimed_by_ben["state"]["queue"]
    assert claimed_by_ben["state"]["waitingTotal"] == 5
    assert ["needs", "chat"] not in claimed_by_ben["changes"]
    assert ["needs", "chat"] in claimed_elsewhere["changes"]
    assert claimed_elsewhere["state"]["waitingTotal"] == 4

    assert repeated_line["changes"] == [], "a line already shown is dropped by its seq"
    assert typing["state"]["chats"][0]["typing"] is True
    assert new_line["state"]["chats"][0]["seqs"] == [1, 2, 3]
    # The line is in the chat in front of the librarian: nothing unread; it ends the typing.
    assert new_line["state"]["chats"][0]["unread"] == 0
    assert new_line["state"]["chats"][0]["typing"] is False

    assert [13, "waiting"] not in waiting_ended["state"]["queue"]
    assert waiting_ended["state"]["waitingTotal"] == 3
    mine = mine_ended["state"]["chats"][0]
    assert (mine["ended"], mine["endReason"]) == (True, "patron_left")
    assert mine_ended["state"]["waitingTotal"] == 3, "a claimed chat left the count at its claim"
    assert ["say", None] in mine_ended["changes"]

    assert (purged["state"]["tickets"], purged["state"]["ticketsTotal"]) == ([7], 2)
    assert (ticket_created["state"]["tickets"], ticket_created["state"]["ticketsTotal"]) == (
        [7, 8],
        3,
    )
    assert ticket_again["state"]["ticketsTotal"] == 3
    assert ticket_again["changes"] == []
    assert ben_online["state"]["presence"] == [["Ana", "online"], ["Ben", "online"]]
    assert rate_limited["changes"] == []
    assert refused["changes"] == [["say", None]]
    assert reserved["changes"] == [], "a type without a handler changes nothing"


KEPT = """([id, other]) => {
    const row = (chatId) => document.querySelector(`#queue .queue-item[data-chat-id="${chatId}"]`);
    return row(id)?.refdeskMark === "kept" && row(other)?.refdeskMark === "kept"
        && document.activeElement === row(other).querySelector(".claim");
}"""


def test_a_frame_about_one_waiting_chat_redraws_its_row_alone(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    # Chats that exist only in this console: ids no real chat of the shared desk reaches.
    first, second = chat(90_001), chat(90_002)
    base = ana.evaluate("window.refdeskConsole.state.lastEventId") + 1_000_000
    waiting = int(ana.locator("#waiting-count").inner_text())
    receive = "frame => window.refdeskConsole.receive(frame)"
    for offset, made in enumerate((first, second)):
        ana.evaluate(receive, {"type": "chat.created", "event_id": base + offset, "chat": made})
    expect(ana.locator("#waiting-count")).to_have_text(str(waiting + 2))
    ana.evaluate(
        "ids => ids.forEach(id => { document.querySelector("
        "`#queue .queue-item[data-chat-id=\"${id}\"]`).refdeskMark = 'kept'; })",
        [first["id"], second["id"]],
    )
    queue_item(ana, second["id"]).locator(".claim").focus()

    ana.evaluate(receive, {"type": "chat.updated", "chat": {**first, "patron_name": "Rae Renamed"}})
    expect(queue_item(ana, first["id"]).locator(".patron-name")).to_have_text("Rae Renamed")
    assert ana.evaluate(KEPT, [first["id"], second["id"]]), "a row was rebuilt or focus moved"
    stored = ana.evaluate("id => window.refdeskConsole.state.queue.items.get(id)", first["id"])
    assert stored["patron_name"] == "Rae Renamed"

    for offset, made in enumerate((first, second), start=2):
        ana.evaluate(
            receive,
            {
                "type": "chat.ended",
                "event_id": base + offset,
                "chat_id": made["id"],
                "reason": "patron_left",
                "chat": {**made, "state": "ended", "end_reason": "patron_left"},
            },
        )
        expect(queue_item(ana, made["id"])).to_have_count(0)
    expect(ana.locator("#waiting-count")).to_have_text(str(waiting))
