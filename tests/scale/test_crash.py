"""A server process killed with SIGKILL mid-conversation loses no acknowledged message."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bench.harness import ServerProcess

from tests.scale.support import Socket, desk_env, fresh_postgres, make_desk, require_services

pytestmark = [pytest.mark.crash]


def stored_messages(env: dict[str, str], tmp: Path) -> dict[str, tuple[int, int]]:
    """client_id -> (chat_id, seq) of every stored message, read straight from the database."""
    query = "SELECT client_id, chat_id, seq FROM chats_message WHERE client_id IS NOT NULL"
    url = env.get("REFDESK_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as db:
            rows = db.execute(query).fetchall()
    else:
        with sqlite3.connect(tmp / "data" / "refdesk.sqlite3") as db:
            rows = db.execute(query).fetchall()
    return {client_id: (chat_id, seq) for client_id, chat_id, seq in rows}


class Conversation:
    """Patrons and their librarian talking as fast as acks come back."""

    def __init__(self, setup: dict[str, Any]) -> None:
        self.setup = setup
        self.acked: dict[str, tuple[int, int]] = {}
        self.seen: dict[tuple[int, str], list[int]] = {}
        self.sent = 0

    def record(self, side: str, frame: dict[str, Any]) -> None:
        if frame["type"] == "ack" and "message" in frame:
            message = frame["message"]
            self.acked[message["client_id"]] = (message["chat_id"], message["seq"])
            self.seen.setdefault((message["chat_id"], side), []).append(message["seq"])
        elif frame["type"] == "message":
            self.seen.setdefault((frame["chat_id"], side), []).append(frame["seq"])
        elif frame["type"] == "chat.state":
            for message in frame["messages"]:
                self.seen.setdefault((message["chat_id"], side), []).append(message["seq"])
        elif frame["type"] == "snapshot":
            for chat in frame["active"]:
                for message in chat["messages"]:
                    self.seen.setdefault((chat["id"], side), []).append(message["seq"])

    async def pump(self, sock: Socket, side: str) -> None:
        try:
            while True:
                frame = await sock.frames.get()
                self.record(side, frame)
        except asyncio.CancelledError:
            pass

    async def talk(
        self, librarian: Socket, patrons: list[tuple[int, Socket]], stop: asyncio.Event
    ) -> None:
        n = 0
        while not stop.is_set():
            chat_id, patron = patrons[n % len(patrons)]
            try:
                if n % 2:
                    await patron.send(
                        {"type": "message.send", "client_id": f"p{n}", "body": f"patron {n}"}
                    )
                else:
                    await librarian.send(
                        {
                            "type": "message.send",
                            "chat_id": chat_id,
                            "client_id": f"l{n}",
                            "body": f"librarian {n}",
                        }
                    )
            except Exception:
                return
            self.sent += 1
            n += 1
            await asyncio.sleep(0.002)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_every_acknowledged_message_survives_a_sigkill_and_the_clients_resume(
    engine: str, tmp_path: Path
) -> None:
    postgres = None
    if engine == "postgresql":
        require_services()
        postgres = fresh_postgres("refdesk_crash_test")
    env = desk_env(tmp_path, postgres=postgres)
    setup = make_desk(env, tmp_path, patrons=4, librarians=1, waiting=0)
    server = ServerProcess(env, tmp_path / "server.log").start()
    talk = Conversation(setup)
    cookie = setup["librarians"][0]["cookie"]
    librarian = await Socket.open(server.port, "/ws/staff/", cookie)
    patrons = [
        (c["chat_id"], await Socket.open(server.port, f"/ws/patron/{c['token']}/"))
        for c in setup["chats"]
    ]
    pumps = [asyncio.create_task(talk.pump(librarian, "librarian"))] + [
        asyncio.create_task(talk.pump(sock, "patron")) for _, sock in patrons
    ]
    stop = asyncio.Event()
    talker = asyncio.create_task(talk.talk(librarian, patrons, stop))
    async with asyncio.timeout(30):
        while len(talk.acked) < 300:
            await asyncio.sleep(0.01)
    stop.set()
    await talker
    # A burst, and the kill while it is being written: some frames are surely in flight.
    for i in range(60):
        chat_id, patron = patrons[i % len(patrons)]
        await patron.send({"type": "message.send", "client_id": f"burst{i}", "body": "burst"})
        talk.sent += 1
    server.kill()
    for pump in pumps:
        pump.cancel()
    acked_before = dict(talk.acked)
    assert talk.sent > len(acked_before)

    restarted = ServerProcess(env, tmp_path / "server.log", port=server.port).start()
    try:
        stored = stored_messages(env, tmp_path)
        missing = {cid: where for cid, where in acked_before.items() if stored.get(cid) != where}
        assert not missing, f"acknowledged but not stored: {missing}"

        # The clients resume from the last seq they saw and get each message exactly once.
        last_seen = {key: max(seqs) for key, seqs in talk.seen.items()}
        resumed: list[Socket] = []
        for chat_id, _old in patrons:
            token = next(c["token"] for c in setup["chats"] if c["chat_id"] == chat_id)
            after = last_seen.get((chat_id, "patron"), 0)
            sock = await Socket.open(restarted.port, f"/ws/patron/{token}/?after={after}")
            state = await sock.until("chat.state")
            talk.record("patron", state)
            await sock.send(
                {"type": "message.send", "client_id": f"after-{chat_id}", "body": "still here?"}
            )
            talk.record("patron", await sock.until("ack"))
            resumed.append(sock)
        console = await Socket.open(restarted.port, "/ws/staff/", cookie)
        snapshot = await console.until("snapshot")
        for chat in snapshot["active"]:
            seqs = [m["seq"] for m in chat["messages"]]
            assert seqs == list(range(1, len(seqs) + 1)), "a gap or a repeat in the stored seqs"
            assert {cid for cid, (chat_id, _) in acked_before.items() if chat_id == chat["id"]} <= {
                m["client_id"] for m in chat["messages"]
            }
        for (chat_id, side), seqs in talk.seen.items():
            if side != "patron":
                continue
            assert len(seqs) == len(set(seqs)), f"chat {chat_id}: a message arrived twice"
            assert sorted(seqs) == list(range(1, max(seqs) + 1)), (
                f"chat {chat_id}: a message missing"
            )
        for sock in [*resumed, console]:
            await sock.close()
    finally:
        restarted.stop()
