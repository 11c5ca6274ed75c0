"""Presence across two real server processes on one PostgreSQL and one Redis: a
librarian's tabs on both count as one, and only when both are gone does the grace
period run out and return their chats to the queue."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import pytest

from tests.scale.support import (
    Socket,
    desk_env,
    fresh_postgres,
    make_desk,
    require_services,
    servers,
)

pytestmark = [pytest.mark.scale]

GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    require_services()
    tmp = tmp_path_factory.mktemp("presence-processes")
    env = desk_env(tmp, postgres=fresh_postgres("refdesk_scale_presence"), redis=True)
    env["REFDESK_OFFLINE_GRACE_SECONDS"] = str(GRACE_SECONDS)
    setup = make_desk(env, tmp, patrons=1, librarians=2, waiting=0)
    with servers(env, tmp, 2) as (a, b):
        yield setup, a, b


def start_chat(port: int, question: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/chats",
        data=json.dumps({"campus": "bench", "name": "Sam", "question": question}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def is_offline(name: str) -> Any:
    return lambda f: (f["display_name"], f["status"]) == (name, "offline")


async def test_tabs_on_two_processes_are_one_librarian_and_the_grace_period_returns_their_chats(
    desk: Any,
) -> None:
    setup, a, b = desk
    leaver, watcher = setup["librarians"][0], setup["librarians"][1]
    observer = await Socket.open(b.port, "/ws/staff/", watcher["cookie"])
    await observer.until("snapshot")
    on_a = await Socket.open(a.port, "/ws/staff/", leaver["cookie"])
    on_b = await Socket.open(b.port, "/ws/staff/", leaver["cookie"])
    snapshot = await on_b.until("snapshot")
    await on_a.until("snapshot")
    name = snapshot["me"]["display_name"]

    started = await asyncio.to_thread(start_chat, a.port, "Where are the atlases?")
    chat_id = started["chat_id"]
    patron = await Socket.open(b.port, f"/ws/patron/{started['token']}/")
    await patron.until("chat.state")
    await on_a.send({"type": "chat.claim", "chat_id": chat_id, "ref": "claim"})
    assert (await on_a.until("ack"))["chat"]["claimed_by"] == name
    held = await observer.until(
        "presence", lambda f: f["display_name"] == name and f["active_chats"] == 1
    )
    assert held["status"] == "online"

    # The tab on process A closes: the one on B keeps the librarian at the desk, well past
    # the grace period (each process sweeps every second).
    await on_a.close()
    with pytest.raises(TimeoutError):
        await observer.until("presence", is_offline(name), timeout=GRACE_SECONDS + 3)

    # The last tab closes: after the grace period they are offline, and their chat goes
    # back to its queue, on whichever process swept first, once.
    closed_at = time.monotonic()
    await on_b.close()
    gone = await observer.until("presence", is_offline(name), timeout=GRACE_SECONDS + 10)
    waited = time.monotonic() - closed_at
    assert waited >= GRACE_SECONDS - 0.5, waited
    back = await observer.until(
        "chat.transferred", lambda f: f["chat_id"] == chat_id, timeout=GRACE_SECONDS + 10
    )
    assert (back["from"], back["to"], back["to_campus"], back["reason"]) == (
        name,
        None,
        "bench",
        "departed",
    )
    assert back["chat"]["state"] == "waiting"
    # The patron reads, in plain words, that another librarian will pick up.
    line = await patron.until("message", lambda f: f["sender"] == "system")
    assert line["body"] == f"{name} had to leave. Another librarian will pick up your chat shortly."
    told = await patron.until("chat.transferred")
    assert (told["to"], told["chat_id"]) == (None, chat_id)
    assert gone["active_chats"] in (0, 1)  # sent when they went offline, before the return
    # Nothing more: one return, one line.
    with pytest.raises(TimeoutError):
        await observer.until("chat.transferred", lambda f: f["chat_id"] == chat_id, timeout=3)
    for sock in (observer, patron):
        await sock.close()
