"""The store's ticket desk (console/ticketdesk.js) without a page: the view, the filter
and its pages, live tickets moving into and out of the filter, the open ticket and its
thread, the errors of an action, and a reconnect. It runs in a module worker, where there
is no document (see test_console_store.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Contexts, Desk
from tests.browser.test_console_store import FRAMES, RUN_IN_WORKER, ticket

pytestmark = pytest.mark.browser

HARNESS_PATH = "/static/refdesk/js/console/ticketdesk-check.js"
# Each step is a frame from the server ({"frame": …}) or a call on the ticket desk
# ({"call": name, "args": […]}); after each the worker reports the topics told and the
# ticket desk's state.
HARNESS = """
import { Store } from "./store.js";

const store = new Store({ me: { id: 3, name: "Ana", campus: "north", role: "librarian" } });
const desk = store.ticketdesk;
let changes = [];
for (const topic of ["view", "ticketdesk", "ticket", "needs", "say"]) {
  store.subscribe(topic, (change) =>
    changes.push([topic, change.kind ?? change.what ?? change.view ?? null, change.id ?? null]));
}

function seen(state) {
  const open = state.open;
  return {
    view: state.view,
    filter: state.filter,
    rows: [...state.items.values()].sort(desk.order).map((t) => t.id),
    cursor: state.cursor && state.cursor.id,
    more: state.more,
    loading: state.loading,
    loaded: state.loaded,
    error: state.error,
    open: open && {
      id: open.id, state: open.ticket && open.ticket.state, owner: open.ticket && open.ticket.owner,
      thread: open.ticket && open.ticket.thread ? open.ticket.thread.map((e) => e.id) : null,
      full: open.full, loading: open.loading, errors: { ...open.errors }, busy: { ...open.busy },
    },
    inStoreState: store.state.ticketdesk === state,
    thread: [...state.items.values()].some((t) => "thread" in t),
  };
}

onmessage = ({ data: steps }) => {
  const generation = () => desk.state.generation;
  const results = steps.map((step) => {
    changes = [];
    if (step.frame) store.receive(step.frame);
    else {
      const args = step.args.map((a) => (a === "$generation" ? generation() : a));
      desk[step.call](...args);
    }
    return { changes, state: seen(desk.state) };
  });
  postMessage({ steps: results, page: typeof document !== "undefined" });
};
"""

SNAPSHOT = FRAMES[0]


def summary(
    ticket_id: int, state: str = "new", campus: str = "north", **fields: Any
) -> dict[str, Any]:
    names = {"north": "North Campus Library", "south": "South Campus Library"}
    return {
        **ticket(ticket_id, state),
        "campus": campus,
        "campus_name": names[campus],
        "source": "form",
        "chat_id": None,
        "owner": None,
        "owner_id": None,
        "updated_at": None,
        "closed_at": None,
        **fields,
    }


def with_thread(base: dict[str, Any], *entry_ids: int) -> dict[str, Any]:
    return {
        **base,
        "thread": [
            {
                "id": entry_id,
                "kind": "reply",
                "author_name": "Ana",
                "body": "Yes.",
                "client_id": "",
                "created_at": "2025-03-04T10:00:00.000001+00:00",
                "send_state": "unsent",
                "send_attempts": 1,
                "sent_at": None,
                "last_error": "Connection refused",
            }
            for entry_id in entry_ids
        ],
        "transcript": None,
    }


def call(name: str, *args: Any) -> dict[str, Any]:
    return {"call": name, "args": list(args)}


def frame(body: dict[str, Any]) -> dict[str, Any]:
    return {"frame": body}


STEPS: list[dict[str, Any]] = [
    # 0: the first look at the Tickets view asks for the filter's first page.
    call("showView", "tickets"),
    # 1: a request goes out.
    call("startLoading"),
    # 2: the page (a south ticket newer than the north ones) and, beside it, Ana's campus.
    call(
        "pageLoaded",
        "$generation",
        {
            "tickets": [summary(12, campus="south"), summary(11)],
            "more": True,
            "extra": [summary(5), summary(11)],
        },
    ),
    # 3: a new ticket of the south arrives live: the filter (new, every campus) shows it.
    frame({"type": "ticket.created", "ticket": summary(13, campus="south")}),
    # 4: one is claimed elsewhere: it is open now and leaves the list of new tickets.
    frame(
        {
            "type": "ticket.updated",
            "ticket": summary(11, "open", owner="Ben", owner_id=4),
            "previous_state": "new",
        }
    ),
    # 5: the filter changes to open tickets: the list starts again and asks for its page.
    call("setFilter", {"state": "open", "q": "  renew   by  "}),
    # 6: an answer to the old filter comes late: dropped.
    call("pageLoaded", 0, {"tickets": [summary(40)], "more": False}),
    # 7: the open filter's page.
    call("startLoading"),
    call(
        "pageLoaded", "$generation", {"tickets": [summary(11, "open", owner_id=4)], "more": False}
    ),
    # 9: a patron answers a pending ticket that matches the words: it moves into "open".
    frame(
        {
            "type": "ticket.updated",
            "ticket": summary(14, "open"),
            "previous_state": "pending",
        }
    ),
    # 10: one that does not match the words stays out.
    frame(
        {
            "type": "ticket.updated",
            "ticket": {**summary(15, "open"), "question": "Parking?"},
            "previous_state": "pending",
        }
    ),
    # 11: Ana opens ticket 14: its summary shows at once, and its thread is asked for.
    call("openTicket", 14),
    # 12: the thread comes.
    call("ticketLoaded", with_thread(summary(14, "open"), 1)),
    # 13: Ana claims; busy, then someone else had it.
    call("setBusy", "claim", True),
    call("claimedBy", 14, "Ben", 4),
    call("setError", "claim", "Ben has that ticket."),
    call("setBusy", "claim", False),
    # 17: the reply's email went out elsewhere (ticket.updated): the open ticket is fetched again.
    frame(
        {
            "type": "ticket.updated",
            "ticket": summary(14, "pending", owner="Ben", owner_id=4),
            "previous_state": "open",
        }
    ),
    # 18: the console reconnects: the list and the open ticket are fetched again.
    frame(SNAPSHOT),
    # 19: the ticket view closes.
    call("closeTicket"),
    # 20: a filter that changes nothing asks for nothing.
    call("setFilter", {"state": "open", "q": "renew by"}),
    # 21: "me" and "none" as owners; a state that does not exist falls back to new.
    call("setFilter", {"state": "everything", "owner": "me", "q": ""}),
]


def test_the_ticket_desk_keeps_its_list_and_open_ticket_without_a_page(
    desk: Desk, contexts: Contexts
) -> None:
    page = contexts.new().new_page()
    page.route(
        f"**{HARNESS_PATH}",
        lambda route: route.fulfill(body=HARNESS, content_type="text/javascript"),
    )
    page.goto(f"{desk.url}/accounts/login/")
    result = page.evaluate(RUN_IN_WORKER, [HARNESS_PATH, STEPS])
    assert result["page"] is False, "the ticket desk must run where there is no document"
    steps = result["steps"]
    assert len(steps) == len(STEPS)

    shown = steps[0]
    assert shown["changes"] == [["view", "tickets", None], ["needs", "tickets", None]]
    assert shown["state"]["view"] == "tickets"
    assert shown["state"]["inStoreState"] is True

    assert steps[1]["state"]["loading"] is True
    paged = steps[2]["state"]
    # Ana's campus's new tickets first, then the others, newest first.
    assert paged["rows"] == [11, 5, 12]
    assert (paged["cursor"], paged["more"], paged["loaded"], paged["loading"]) == (
        11,
        True,
        True,
        False,
    )
    assert steps[2]["changes"][-1] == ["ticketdesk", "page", None]

    arrived = steps[3]
    assert arrived["state"]["rows"] == [11, 5, 13, 12]
    assert arrived["changes"] == [["say", None, None], ["ticketdesk", "put", None]]
    claimed = steps[4]
    assert claimed["state"]["rows"] == [5, 13, 12]
    assert claimed["changes"] == [["ticketdesk", "remove", 11]]

    refiltered = steps[5]
    assert refiltered["state"]["filter"] == {
        "campus": "",
        "state": "open",
        "owner": "",
        "q": "renew by",
    }
    assert refiltered["state"]["rows"] == []
    assert refiltered["changes"] == [["ticketdesk", "reset", None], ["needs", "tickets", None]]
    assert steps[6]["state"]["rows"] == [] and steps[6]["changes"] == []
    assert steps[8]["state"]["rows"] == [11]
    assert steps[9]["state"]["rows"] == [14, 11]
    assert steps[10]["state"]["rows"] == [14, 11]

    opened = steps[11]
    assert opened["state"]["open"]["id"] == 14
    assert opened["state"]["open"]["full"] is False and opened["state"]["open"]["loading"] is True
    assert opened["state"]["open"]["state"] == "open"
    assert opened["changes"] == [["ticket", "open", 14], ["needs", "ticket", 14]]
    loaded = steps[12]["state"]
    assert (loaded["open"]["thread"], loaded["open"]["full"], loaded["open"]["loading"]) == (
        [1],
        True,
        False,
    )
    assert loaded["thread"] is False, "the list keeps summaries, never a thread"

    assert steps[13]["state"]["open"]["busy"] == {"claim": True}
    assert steps[14]["state"]["open"]["owner"] == "Ben"
    assert ["needs", "ticket", 14] in steps[14]["changes"]
    assert steps[15]["state"]["open"]["errors"] == {"claim": "Ben has that ticket."}
    assert steps[16]["state"]["open"]["busy"] == {"claim": False}

    emailed = steps[17]
    assert emailed["state"]["open"]["state"] == "pending"
    assert emailed["state"]["open"]["thread"] == [1], "the thread stays until the fetch comes"
    assert ["needs", "ticket", 14] in emailed["changes"]
    assert emailed["state"]["rows"] == [11], "a pending ticket leaves the open filter"

    reconnected = steps[18]
    assert ["needs", "tickets", None] in reconnected["changes"]
    assert ["needs", "ticket", 14] in reconnected["changes"]

    assert steps[19]["state"]["open"] is None
    assert steps[19]["changes"] == [["ticket", "close", 14]]
    assert steps[20]["changes"] == []
    fallback = steps[21]["state"]["filter"]
    assert fallback == {"campus": "", "state": "new", "owner": "me", "q": ""}
