"""Two real server processes on one PostgreSQL and one Redis serve one desk."""

from __future__ import annotations

import asyncio
import json
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


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    require_services()
    tmp = tmp_path_factory.mktemp("two-processes")
    env = desk_env(tmp, postgres=fresh_postgres("refdesk_scale_test"), redis=True)
    setup = make_desk(env, tmp, patrons=2, librarians=50, waiting=200)
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


async def test_a_patron_on_one_process_and_librarians_on_both_see_each_other_live(
    desk: Any,
) -> None:
    setup, a, b = desk
    ana = await Socket.open(a.port, "/ws/staff/", setup["librarians"][0]["cookie"])
    ben = await Socket.open(b.port, "/ws/staff/", setup["librarians"][1]["cookie"])
    await ana.until("snapshot")
    await ben.until("snapshot")
    started = await asyncio.to_thread(start_chat, a.port, "Which floor has the maps?")
    chat_id = started["chat_id"]
    for console in (ana, ben):
        await console.until("chat.created", lambda f: f["chat"]["id"] == chat_id)
    patron = await Socket.open(a.port, f"/ws/patron/{started['token']}/")
    await patron.until("chat.state")

    await ben.send({"type": "chat.claim", "chat_id": chat_id, "ref": "claim"})
    assert (await ben.until("ack"))["chat"]["id"] == chat_id
    assert (await ana.until("chat.claimed", lambda f: f["chat_id"] == chat_id))[
        "by"
    ] == "Librarian 001"
    assert (await patron.until("chat.claimed"))["by"] == "Librarian 001"

    await ben.send(
        {"type": "message.send", "chat_id": chat_id, "client_id": "b1", "body": "Third floor."}
    )
    assert (await patron.until("message"))["body"] == "Third floor."
    await patron.send({"type": "typing", "active": True})
    assert (await ben.until("typing"))["sender"] == "patron"
    await patron.send({"type": "message.send", "client_id": "p1", "body": "Thanks!"})
    assert (await ben.until("message", lambda f: f["sender"] == "patron"))["body"] == "Thanks!"
    await ben.send({"type": "chat.end", "chat_id": chat_id, "closing": ""})
    assert (await patron.until("chat.ended"))["reason"] == "closed"
    assert (await ana.until("chat.ended"))["chat_id"] == chat_id
    for sock in (ana, ben, patron):
        await sock.close()


async def test_fifty_claims_over_both_processes_have_one_winner_two_hundred_times(
    desk: Any,
) -> None:
    setup, a, b = desk
    consoles = [
        await Socket.open((a, b)[i % 2].port, "/ws/staff/", lib["cookie"])
        for i, lib in enumerate(setup["librarians"][:50])
    ]
    for console in consoles:
        await console.until("snapshot")
    names = {lib["name"] for lib in setup["librarians"]}
    for round_number, chat_id in enumerate(setup["waiting"]):
        await asyncio.gather(
            *(
                c.send({"type": "chat.claim", "chat_id": chat_id, "ref": f"r{round_number}"})
                for c in consoles
            )
        )

        async def answer(console: Socket, ref: str = f"r{round_number}") -> dict[str, Any]:
            async with asyncio.timeout(20):
                while True:
                    frame = await console.frames.get()
                    if frame.get("ref") == ref:
                        return frame

        answers = await asyncio.gather(*(answer(c) for c in consoles))
        winners = [f for f in answers if f["type"] == "ack"]
        assert len(winners) == 1, (round_number, answers)
        winner = winners[0]["chat"]["claimed_by"]
        assert winner in names
        losers = [f for f in answers if f["type"] == "error"]
        assert len(losers) == 49
        assert {(f["code"], f["by"]) for f in losers} == {("already_claimed", winner)}
    for console in consoles:
        await console.close()


async def test_presence_and_queue_snapshots_agree_on_both_processes(desk: Any) -> None:
    setup, a, b = desk
    cookies = [lib["cookie"] for lib in setup["librarians"][10:12]]
    first = await Socket.open(a.port, "/ws/staff/", cookies[0])
    second = await Socket.open(b.port, "/ws/staff/", cookies[1])
    await first.until("snapshot")
    await second.until("snapshot")
    await asyncio.to_thread(start_chat, b.port, "Is there a quiet room?")
    # A second tab of each librarian, on the other process: presence does not change.
    on_a = await Socket.open(a.port, "/ws/staff/", cookies[1])
    on_b = await Socket.open(b.port, "/ws/staff/", cookies[0])
    snap_a, snap_b = await on_a.until("snapshot"), await on_b.until("snapshot")

    def online(snapshot: dict[str, Any]) -> set[str]:
        return {p["display_name"] for p in snapshot["presence"] if p["status"] == "online"}

    assert {"Librarian 010", "Librarian 011"} <= online(snap_a)
    assert online(snap_a) == online(snap_b)
    assert [c["id"] for c in snap_a["waiting"]] == [c["id"] for c in snap_b["waiting"]]
    assert any(c["question"] == "Is there a quiet room?" for c in snap_a["waiting"])
    for sock in (first, second, on_a, on_b):
        await sock.close()
