"""The console's timers (console/timers.js) and the store's part in them, run in a page of
the desk: the message path mirrored, the thresholds, and the alerts applied."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Contexts, Desk

pytestmark = pytest.mark.browser

CHECK = """async () => {
  const timers = await import("/static/refdesk/js/console/timers.js");
  const { Store } = await import("/static/refdesk/js/console/store.js");
  const t = { amberMs: 60000, redMs: 120000, askMs: 180000, endMs: 300000 };
  const at = (s) => new Date(Date.UTC(2026, 2, 4, 15, 0, s)).toISOString();
  const ms = (s) => Date.parse(at(0)) + s * 1000;
  const line = (sender, s, seq) => ({ type: "message", chat_id: 7, seq, sender, sender_name: "",
    body: "x", client_id: "", sent_at: at(s) });
  const out = {};

  const s = { state: "active", patron_waiting_since: at(5), patron_silent_since: null,
    silent_asked_at: null };
  out.claimed = [timers.timerState(s, ms(64.9), t), timers.timerState(s, ms(65), t),
    timers.timerState(s, ms(125), t)].map((f) => f.level);
  timers.moveTimers(s, line("patron", 30, 2));
  out.secondPatronKeeps = s.patron_waiting_since === at(5);
  timers.moveTimers(s, line("librarian", 40, 3));
  out.reply = [s.patron_waiting_since, s.patron_silent_since === at(40)];
  timers.moveTimers(s, line("system", 50, 4));
  out.systemMovesNothing = [s.patron_waiting_since, s.patron_silent_since === at(40)];
  out.stages = [timers.timerState(s, ms(219.9), t).stage, timers.timerState(s, ms(220), t).stage];
  s.silent_asked_at = at(220);
  out.asked = [timers.timerState(s, ms(519.9), t).stage, timers.timerState(s, ms(520), t).stage];
  timers.moveTimers(s, line("patron", 530, 5));
  out.patronEndsSilence = [s.patron_silent_since, s.silent_asked_at,
    s.patron_waiting_since === at(530)];
  const waiting = { state: "waiting", patron_waiting_since: null };
  timers.moveTimers(waiting, line("patron", 5, 2));
  out.waitingUntouched = timers.timerState(waiting, ms(999), t);
  out.formats = [timers.formatWait(5000), timers.formatWait(65000), timers.formatWait(3723000)];
  out.exchanged = [timers.exchanged([line("patron", 0, 1)]),
    timers.exchanged([line("librarian", 0, 1), line("patron", 1, 2)]),
    timers.exchanged([line("patron", 0, 1), line("system", 1, 2), line("librarian", 2, 3)])];

  const store = new Store({ me: { id: 3, name: "Ana", campus: "north", role: "librarian" } });
  const told = [];
  store.subscribe("timers", (change) =>
    told.push([change.id, change.alert.kind, change.alert.stage ?? null]));
  store.openChat({ id: 7, state: "active", patron_name: "Sam", patron_waiting_since: null,
    patron_silent_since: at(40), silent_asked_at: null, messages: [] });
  store.receive({ type: "alert", chat_id: 7, kind: "silent_patron", stage: "end", since: at(40) });
  store.receive({ type: "alert", chat_id: 99, kind: "dead_air", since: at(40) });
  const chat = store.state.chats.get(7);
  out.storeEnd = [timers.timerState(chat.summary, store.now(), t).stage, told];
  store.receive(line("patron", 600, 1));
  out.storePatron = [timers.timerState(chat.summary, ms(600), t), chat.summary.silent_end];
  return out;
}"""


def test_the_console_moves_its_timers_as_the_server_does_and_applies_alerts(
    desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new().new_page()
    page.goto(f"{desk.url}/accounts/login/")
    out: dict[str, Any] = page.evaluate(CHECK)
    assert out["claimed"] == ["calm", "amber", "red"]
    assert out["secondPatronKeeps"] is True
    assert out["reply"] == [None, True]
    assert out["systemMovesNothing"] == [None, True]
    assert out["stages"] == ["", "ask"]
    assert out["asked"] == ["ask", "end"]
    assert out["patronEndsSilence"] == [None, None, True]
    assert out["waitingUntouched"] == {"waitedMs": None, "level": "", "stage": ""}
    assert out["formats"] == ["0:05", "1:05", "1:02:03"]
    assert out["exchanged"] == [False, False, True]
    assert out["storeEnd"] == ["end", [[7, "silent_patron", "end"]]]
    assert out["storePatron"] == [{"waitedMs": 0, "level": "calm", "stage": ""}, False]
