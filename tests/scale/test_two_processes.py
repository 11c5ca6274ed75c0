"""Two real server processes on one PostgreSQL and one Redis serve one desk."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
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

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


async def answer_to(console: Socket, ref: str) -> dict[str, Any]:
    """The ack or error that answers the frame ``ref``; other frames are skipped."""
    async with asyncio.timeout(20):
        while True:
            frame = await console.frames.get()
            if frame.get("ref") == ref and frame["type"] in {"ack", "error"}:
                return frame


def outcome(frame: dict[str, Any]) -> str:
    return "ok" if frame["type"] == "ack" else str(frame["code"])


RACE_ROUNDS = 10


async def test_a_transfer_offered_on_one_process_is_accepted_on_the_other_one_outcome_a_race(
    desk: Any,
) -> None:
    setup, a, b = desk
    holder_lib, target_lib = setup["librarians"][20], setup["librarians"][21]
    holder = await Socket.open(a.port, "/ws/staff/", holder_lib["cookie"])
    # The holder's second tab, on the other process.
    holder_b = await Socket.open(b.port, "/ws/staff/", holder_lib["cookie"])
    target = await Socket.open(b.port, "/ws/staff/", target_lib["cookie"])
    other_lib = setup["librarians"][22]
    other = await Socket.open(a.port, "/ws/staff/", other_lib["cookie"])
    for console in (holder, holder_b, target, other):
        await console.until("snapshot")
    outcomes: dict[str, dict[str, int]] = {"accept_vs_leave": {}, "two_offers": {}}

    async def held_chat(question: str) -> tuple[int, Socket]:
        started = await asyncio.to_thread(start_chat, a.port, question)
        chat_id = started["chat_id"]
        patron = await Socket.open(a.port, f"/ws/patron/{started['token']}/")
        await patron.until("chat.state")
        ref = f"claim-{chat_id}"
        await holder.send({"type": "chat.claim", "chat_id": chat_id, "ref": ref})
        assert (await answer_to(holder, ref))["type"] == "ack"
        return chat_id, patron

    # Offered on A, accepted on B: the patron (on A) sees the new name.
    chat_id, patron = await held_chat("Offered across processes?")
    await holder.send(
        {"type": "chat.transfer", "chat_id": chat_id, "to_librarian": target_lib["id"], "ref": "o"}
    )
    assert (await answer_to(holder, "o"))["offered_to"] == target_lib["name"]
    offered = await target.until("chat.transfer.offered", lambda f: f["chat_id"] == chat_id)
    assert offered["from"] == holder_lib["name"]
    await target.send({"type": "chat.transfer.accept", "chat_id": chat_id, "ref": "acc"})
    assert (await answer_to(target, "acc"))["chat"]["claimed_by_id"] == target_lib["id"]
    moved = await patron.until("chat.transferred")
    assert moved["to"] == target_lib["name"]
    for console in (holder, holder_b):
        seen = await console.until("chat.transferred", lambda f: f["chat_id"] == chat_id)
        assert seen["to_id"] == target_lib["id"]
    await patron.close()

    for round_number in range(RACE_ROUNDS):
        # An accept on B against the patron leaving on A.
        chat_id, patron = await held_chat(f"Race {round_number}")
        ref = f"offer-{round_number}"
        await holder.send(
            {
                "type": "chat.transfer",
                "chat_id": chat_id,
                "to_librarian": target_lib["id"],
                "ref": ref,
            }
        )
        assert (await answer_to(holder, ref))["type"] == "ack"
        await target.until("chat.transfer.offered", lambda f, c=chat_id: f["chat_id"] == c)
        accept_ref, leave_ref = f"acc-{round_number}", f"leave-{round_number}"
        await asyncio.gather(
            target.send({"type": "chat.transfer.accept", "chat_id": chat_id, "ref": accept_ref}),
            patron.send({"type": "chat.leave", "ref": leave_ref}),
        )
        accepted, left = await answer_to(target, accept_ref), await answer_to(patron, leave_ref)
        assert outcome(left) == "ok"
        assert outcome(accepted) in {"ok", "chat_ended"}
        tally = outcomes["accept_vs_leave"]
        tally[outcome(accepted)] = tally.get(outcome(accepted), 0) + 1
        ended = await holder.until("chat.ended", lambda f, c=chat_id: f["chat_id"] == c)
        expected_holder = target_lib["id"] if outcome(accepted) == "ok" else holder_lib["id"]
        assert ended["chat"]["claimed_by_id"] == expected_holder
        await patron.close()

        # Two offers of one chat at once, from the holder's tabs on A and on B, to two
        # librarians: one stands, the other is refused.
        chat_id, patron = await held_chat(f"Two offers {round_number}")
        first, second = f"one-{round_number}", f"two-{round_number}"
        await asyncio.gather(
            holder.send(
                {
                    "type": "chat.transfer",
                    "chat_id": chat_id,
                    "to_librarian": target_lib["id"],
                    "ref": first,
                }
            ),
            holder_b.send(
                {
                    "type": "chat.transfer",
                    "chat_id": chat_id,
                    "to_librarian": other_lib["id"],
                    "ref": second,
                }
            ),
        )
        results = [
            outcome(await answer_to(holder, first)),
            outcome(await answer_to(holder_b, second)),
        ]
        assert sorted(results) == ["offer_pending", "ok"], results
        won = "first" if results[0] == "ok" else "second"
        outcomes["two_offers"][won] = outcomes["two_offers"].get(won, 0) + 1
        await patron.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "transfer-races.json").write_text(json.dumps(outcomes, indent=2) + "\n")
    for console in (holder, holder_b, target, other):
        await console.close()
