"""The store keeps the server's clock and a chat's new details; ringing.js decides who hears
a waiting chat, and when again. Both run in a module worker, where there is no page (see
test_console_store.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Contexts, Desk
from tests.browser.test_console_store import RUN_IN_WORKER, chat

pytestmark = pytest.mark.browser

HARNESS_PATH = "/static/refdesk/js/console/ringing-check.js"
HARNESS = """
import { Store } from "./store.js";
import { RING_AGAIN_MS, dueRings, homeLeftMs, homeWindowOver, ringLevel } from "./ringing.js";

onmessage = ({ data: { frames, serverTime } }) => {
  const store = new Store({ me: { id: 3, name: "Ana", campus: "north", role: "librarian" } });
  const changes = [];
  for (const topic of ["chats", "patron", "queue"]) {
    store.subscribe(topic, (change) =>
      changes.push([topic, change.kind ?? null, change.refresh ?? null]));
  }
  for (const frame of frames) store.receive(frame);
  const offset = store.state.clockOffset;
  const mine = store.state.chats.get(20);

  const me = { campus: "north" };
  const t0 = Date.parse(serverTime);
  const at = (s) => new Date(t0 + s * 1000).toISOString();
  const north = { id: 1, state: "waiting", campus: "north", home_until: at(20) };
  const south = { id: 2, state: "waiting", campus: "south", home_until: at(20) };
  const closedEarly = { ...south, id: 3, home_ended_at: at(1) };
  const noWindow = { id: 4, state: "waiting", campus: "south", home_until: null };
  const claimed = { ...north, id: 5, state: "active" };
  const levels = [north, south, closedEarly, noWindow, claimed].map((c) => ringLevel(c, me, t0));
  const levelsLater = [north, south].map((c) => ringLevel(c, me, t0 + 21000));

  // A timeline of rings, a second at a time, for two minutes.
  const lastRung = new Map();
  const rang = [];
  let queue = [north, south];
  for (let s = 0; s <= 60; s += 1) {
    if (s === 45) queue = [{ ...north, state: "active" }, south];
    const { level, fresh } = dueRings(queue, me, t0 + s * 1000, lastRung);
    if (level) rang.push([s, level, fresh.map((c) => c.id)]);
  }
  postMessage({
    page: typeof document !== "undefined",
    offset,
    summary: mine && mine.summary,
    patron: store.state.patron,
    changes,
    levels,
    levelsLater,
    left: [homeLeftMs(south, t0 + 5500), homeLeftMs(south, t0 + 25000),
      homeLeftMs(closedEarly, t0)],
    over: [homeWindowOver(south, t0), homeWindowOver(south, t0 + 20000),
      homeWindowOver(noWindow, t0)],
    rang,
    again: RING_AGAIN_MS,
  });
};
"""

SERVER_TIME = "2030-01-01T12:00:00+00:00"
ACTIVE = chat(20, state="active", claimed_at="2025-03-04T15:21:00+00:00", claimed_by="Ana")
SNAPSHOT: dict[str, Any] = {
    "type": "snapshot",
    "server_time": SERVER_TIME,
    "event_id": 100,
    "me": {"librarian_id": 3, "display_name": "Ana", "campus": "north", "role": "librarian"},
    "waiting": [],
    "waiting_total": 0,
    "waiting_by_campus": {},
    "active": [{**ACTIVE, "claimed_by_id": 3, "messages": []}],
    "ended": [],
    "transfer_offers": [],
    "presence": [],
    "tickets": [],
    "tickets_total": 0,
    "tickets_by_campus": {},
}


def test_the_store_keeps_the_server_clock_and_a_chats_new_details_and_ringing_decides_who_hears(
    desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new().new_page()
    page.route(
        f"**{HARNESS_PATH}",
        lambda route: route.fulfill(body=HARNESS, content_type="text/javascript"),
    )
    page.goto(f"{desk.url}/accounts/login/")
    renamed = {**ACTIVE, "claimed_by_id": 3, "patron_name": "Priya", "patron_email": "p@x.org"}
    frames = [
        SNAPSHOT,
        {"type": "chat.updated", "event_id": 101, "chat": renamed},
    ]
    result = page.evaluate(
        RUN_IN_WORKER, [HARNESS_PATH, {"frames": frames, "serverTime": SERVER_TIME}]
    )
    assert result["page"] is False

    # The server's clock is years ahead of this one: the offset says by how much.
    now_ms = page.evaluate("Date.now()")
    expected = page.evaluate(f"Date.parse({SERVER_TIME!r})") - now_ms
    assert abs(result["offset"] - expected) < 5_000

    assert (result["summary"]["patron_name"], result["summary"]["patron_email"]) == (
        "Priya",
        "p@x.org",
    )
    assert ["chats", "renamed", None] in result["changes"]

    # North (Ana's campus) rings loud at once; south is silent for Ana until its window
    # ends, then soft; a window the server closed early is over; a claimed chat is silent.
    assert result["levels"] == ["loud", None, "soft", "soft", None]
    assert result["levelsLater"] == ["loud", "soft"]
    assert result["left"] == [14_500, 0, 0]
    assert result["over"] == [False, True, False]

    # Rings: north at once and every 20 s until claimed at 45 s; south at the end of its
    # 20 s window and every 20 s after it; one sound per second at the loudest level.
    assert result["again"] == 20_000
    assert result["rang"] == [
        [0, "loud", [1]],
        [20, "loud", [2]],
        [40, "loud", []],
        [60, "soft", []],
    ]
