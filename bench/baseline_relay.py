"""The baseline: a bare ``websockets`` relay that stores each message before relaying it.

It speaks just enough of the desk's protocol for the load generator to drive it exactly
as it drives refdesk: the same URLs, the same frames, the same setup file. Each message
is inserted into SQLite with the desk's durability settings (WAL, synchronous=NORMAL) and
committed on its own before it is acknowledged and relayed. No framework, no checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from typing import Any

from websockets.asyncio.server import ServerConnection, serve


class Relay:
    def __init__(self, setup: dict[str, Any], database: str) -> None:
        self.chat_for_token = {c["token"]: c["chat_id"] for c in setup["chats"]}
        self.owner = {c["chat_id"]: c["librarian"] for c in setup["chats"]}
        self.librarian_for_cookie = {
            lib["cookie"]: index for index, lib in enumerate(setup["librarians"])
        }
        self.names = [lib["name"] for lib in setup["librarians"]]
        self.patrons: dict[int, ServerConnection] = {}
        self.librarians: dict[int, set[ServerConnection]] = {}
        self.seq: dict[int, int] = {}
        self.db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS message (id INTEGER PRIMARY KEY, chat_id INTEGER, "
            "seq INTEGER, sender TEXT, body TEXT, client_id TEXT, created_at REAL)"
        )

    def store(self, chat_id: int, sender: str, body: str, client_id: str) -> dict[str, Any]:
        seq = self.seq.get(chat_id, 1) + 1
        self.seq[chat_id] = seq
        now = time.time()
        self.db.execute(
            "INSERT INTO message (chat_id, seq, sender, body, client_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, seq, sender, body, client_id, now),
        )
        return {
            "type": "message",
            "chat_id": chat_id,
            "seq": seq,
            "sender": sender,
            "sender_name": "",
            "body": body,
            "client_id": client_id,
            "sent_at": now,
        }

    async def handler(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        if path.startswith("/ws/patron/"):
            token = path.split("/")[3]
            chat_id = self.chat_for_token.get(token)
            if chat_id is None:
                await ws.close(4403)
                return
            self.patrons[chat_id] = ws
            await ws.send(
                json.dumps({"type": "chat.state", "chat": {"id": chat_id}, "messages": []})
            )
            await self.serve_patron(ws, chat_id)
        elif path.startswith("/ws/staff/"):
            cookie = ws.request.headers.get("Cookie", "") if ws.request else ""
            index = self.librarian_for_cookie.get(cookie)
            if index is None:
                await ws.close(4401)
                return
            self.librarians.setdefault(index, set()).add(ws)
            await ws.send(json.dumps({"type": "snapshot", "waiting": [], "active": []}))
            try:
                await self.serve_librarian(ws, index)
            finally:
                self.librarians[index].discard(ws)

    async def serve_patron(self, ws: ServerConnection, chat_id: int) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") != "message.send":
                continue
            message = self.store(chat_id, "patron", frame["body"], frame.get("client_id", ""))
            await ws.send(json.dumps({"type": "ack", "ref": frame.get("ref"), "message": message}))
            text = json.dumps(message)
            for peer in tuple(self.librarians.get(self.owner[chat_id], ())):
                await peer.send(text)

    async def serve_librarian(self, ws: ServerConnection, index: int) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message.send":
                chat_id = frame["chat_id"]
                message = self.store(
                    chat_id, "librarian", frame["body"], frame.get("client_id", "")
                )
                await ws.send(
                    json.dumps({"type": "ack", "ref": frame.get("ref"), "message": message})
                )
                patron = self.patrons.get(chat_id)
                if patron is not None:
                    await patron.send(json.dumps(message))
            elif kind == "chat.claim":
                event = json.dumps(
                    {
                        "type": "chat.claimed",
                        "chat_id": frame["chat_id"],
                        "by": self.names[index],
                        "by_id": index,
                    }
                )
                await ws.send(json.dumps({"type": "ack", "ref": frame.get("ref"), "chat": {}}))
                for sockets in tuple(self.librarians.values()):
                    for peer in tuple(sockets):
                        await peer.send(event)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    with open(options.setup) as handle:
        relay = Relay(json.load(handle), options.database)
    async with serve(
        relay.handler,
        "127.0.0.1",
        options.port,
        compression=None,
        max_size=1 << 20,
        ping_interval=None,
        backlog=4096,
    ) as server:
        print(f"relay listening on {options.port}", flush=True)
        await server.serve_forever()
    return 0


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(main()))
