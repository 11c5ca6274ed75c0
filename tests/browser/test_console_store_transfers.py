"""The console's store applies the transfer frames without a page: offers made to me,
declined and lapsed offers of my chats, and chats that change hands or go back to a
queue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Contexts, Desk
from tests.browser.test_console_store import RUN_IN_WORKER, chat, message, presence

pytestmark = pytest.mark.browser

HARNESS_PATH = "/static/refdesk/js/console/store-transfers-check.js"
HARNESS = """
import { Store } from "./store.js";

const store = new Store({ me: { id: 3, name: "Ana", campus: "north", role: "librarian" } });
const topics = ["queue", "chats", "offers", "transfer", "arrival", "needs"];
let changes = [];
let said = [];
for (const topic of topics) {
  store.subscribe(topic, (change) =>
    changes.push([topic, change.kind ?? change.what ?? null, change.id ?? null]));
}
store.subscribe("say", ({ text }) => said.push(text));

function seen(state) {
  return {
    offers: [...state.offers.keys()],
    queue: [...state.queue.items.values()].map((c) => [c.id, c.state]),
    waitingTotal: state.queue.total,
    chats: [...state.chats.values()].map((c) => ({
      id: c.id, ended: c.ended, endReason: c.endReason, note: c.transferNote || "",
      offerTo: c.summary.offer_to_id ?? null,
    })),
  };
}

onmessage = ({ data: frames }) => {
  const steps = frames.map((frame) => {
    changes = [];
    said = [];
    store.receive(frame);
    return { changes, said, state: seen(store.state) };
  });
  postMessage({ steps });
};
"""

TIMERS = {
    "waiting_since": None,
    "home_until": None,
    "home_ended_at": None,
    "ticket_offer_at": None,
    "offer_to_id": None,
    "offer_expires_at": None,
}
MINE = chat(
    20,
    "south",
    state="active",
    claimed_by="Ana",
    claimed_by_id=3,
    claimed_at="2025-03-04T15:21:00+00:00",
    **TIMERS,
)
OFFERED_TO_ME = chat(
    30,
    "south",
    state="active",
    claimed_by="Ben",
    claimed_by_id=4,
    claimed_at="2025-03-04T15:22:00+00:00",
    **TIMERS,
)
EXPIRES = "2025-03-04T15:40:00.000001+00:00"


def offer(chat_id: int, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "chat.transfer.offered",
        "chat_id": chat_id,
        "from": "Ben",
        "from_id": 4,
        "expires_at": EXPIRES,
        "chat": {**summary, "messages": [message(chat_id, 1)]},
    }


def transferred(event_id: int, summary: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "type": "chat.transferred",
        "event_id": event_id,
        "chat_id": summary["id"],
        "from": "Ana",
        "from_id": 3,
        "reason": "transfer",
        "chat": summary,
        **fields,
    }


FRAMES: list[dict[str, Any]] = [
    {
        "type": "snapshot",
        "server_time": "2025-03-04T15:30:00.000001+00:00",
        "event_id": 100,
        "me": {"librarian_id": 3, "display_name": "Ana", "campus": "north", "role": "librarian"},
        "waiting": [],
        "waiting_total": 0,
        "waiting_by_campus": {},
        "active": [{**MINE, "messages": [message(20, 1)]}],
        "ended": [],
        "transfer_offers": [offer(30, OFFERED_TO_ME)],
        "presence": [presence("Ana", 3, "online"), presence("Ben", 4, "online")],
        "tickets": [],
        "tickets_total": 0,
        "tickets_by_campus": {},
    },
    # The same offer again (a second tab's view of it): nothing new is said.
    offer(30, OFFERED_TO_ME),
    # Ben declines Ana's offer of chat 20.
    {"type": "chat.updated", "chat": {**MINE, "offer_to_id": 4, "offer_expires_at": EXPIRES}},
    {
        "type": "chat.transfer.declined",
        "chat_id": 20,
        "by": "Ben",
        "by_id": 4,
        "reason": "declined",
        "chat": MINE,
    },
    # The offer of chat 30 to me lapses.
    {
        "type": "chat.transfer.declined",
        "chat_id": 30,
        "by": "Ana",
        "by_id": 3,
        "reason": "expired",
        "chat": OFFERED_TO_ME,
    },
    # Chat 20 goes to Ben: my tab keeps it, read-only.
    transferred(
        101, {**MINE, "claimed_by": "Ben", "claimed_by_id": 4}, to="Ben", to_id=4, to_campus=None
    ),
    # Chat 40, someone else's, goes back to the north queue: it waits and is counted.
    transferred(
        102,
        chat(40, "north", **TIMERS),
        **{"from": "Cai", "from_id": 5},
        to=None,
        to_id=None,
        to_campus="north",
    ),
    # Chat 50 is accepted by me in another tab: this console needs it.
    transferred(
        103,
        chat(50, "south", state="active", claimed_by="Ana", claimed_by_id=3, **TIMERS),
        **{"from": "Ben", "from_id": 4},
        to="Ana",
        to_id=3,
        to_campus=None,
    ),
]


def test_the_store_applies_the_transfer_frames_and_says_what_changed(
    desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new().new_page()
    page.route(
        f"**{HARNESS_PATH}",
        lambda route: route.fulfill(body=HARNESS, content_type="text/javascript"),
    )
    page.goto(f"{desk.url}/accounts/login/")
    steps = page.evaluate(RUN_IN_WORKER, [HARNESS_PATH, FRAMES])["steps"]
    snapshot, again, offered, declined, lapsed, away, requeued, needed = steps

    assert snapshot["state"]["offers"] == [30]
    assert ["offers", "add", 30] in snapshot["changes"]
    assert snapshot["said"] == ["Ben offers you a chat with Patron 30. Accept or decline it."]
    assert (again["changes"], again["said"]) == ([["offers", "add", 30]], [])

    assert offered["state"]["chats"] == [
        {"id": 20, "ended": False, "endReason": None, "note": "", "offerTo": 4}
    ]
    # The tab redraws its details (chats "renamed"), and the transfer note its offer.
    assert offered["changes"] == [["chats", "renamed", 20], ["transfer", None, 20]]
    assert declined["state"]["chats"][0] == {
        "id": 20,
        "ended": False,
        "endReason": None,
        "note": "Ben declined the transfer; the chat stays with you.",
        "offerTo": None,
    }
    assert declined["said"] == ["Ben declined the transfer; the chat stays with you."]

    assert lapsed["state"]["offers"] == []
    assert lapsed["changes"] == [["offers", "remove", 30]]
    assert lapsed["said"] == []

    assert away["state"]["chats"][0] == {
        "id": 20,
        "ended": True,
        "endReason": "transferred",
        "note": "Transferred to Ben.",
        "offerTo": None,
    }
    assert away["changes"] == [["chats", "ended", 20]]
    assert away["state"]["queue"] == []

    assert requeued["state"]["queue"] == [[40, "waiting"]]
    assert requeued["state"]["waitingTotal"] == 1
    assert requeued["changes"] == [
        ["queue", "put", None],
        ["arrival", None, None],
        ["queue", "counts", None],
    ]

    assert needed["changes"] == [["needs", "chat", 50]]
