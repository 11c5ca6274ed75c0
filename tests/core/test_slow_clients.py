"""A client that never reads is closed with 4008; nothing queues up for it in the server."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from bench.harness import ServerProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.scale.support import Socket, desk_env, make_desk, require_services

MESSAGES = 3000
BODY = "x" * 3990


async def open_console(server: ServerProcess, cookie: str) -> ClientConnection:
    """A console that reads its snapshot and then reads only when asked to."""
    raw = socket.socket()
    # A small receive buffer, so that the server feels the stall after a few frames.
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    console = await connect(
        f"ws://127.0.0.1:{server.port}/ws/staff/",
        sock=raw,
        origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        compression=None,
        ping_interval=None,
        max_queue=1,
        max_size=None,
    )
    snapshot = json.loads(await console.recv())
    assert snapshot["type"] == "snapshot"
    return console


async def flood(server: ServerProcess, token: str) -> None:
    """A patron sends MESSAGES long lines, each after the last one's ack."""
    patron = await Socket.open(server.port, f"/ws/patron/{token}/")
    await patron.until("chat.state")
    for i in range(MESSAGES):
        await patron.send({"type": "message.send", "client_id": f"m{i}", "body": BODY, "ref": i})
        ack = await patron.until("ack", lambda frame, i=i: frame["ref"] == i)
        assert ack["message"]["seq"] == i + 2
    await patron.close()


async def read_all(console: ClientConnection) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame the console has waiting, and its close code (None: still open)."""
    frames: list[dict[str, Any]] = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(console.recv(), timeout=20)))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        await console.close()
        return frames, None


async def stalled(
    server: ServerProcess, setup: dict[str, Any]
) -> tuple[list[dict[str, Any]], int | None]:
    """The librarian's console reads its snapshot, then nothing while its patron floods;
    then it reads what it has: those frames, and its close code."""
    chat = setup["chats"][0]
    cookie = setup["librarians"][chat["librarian"]]["cookie"]
    console = await open_console(server, cookie)
    await flood(server, chat["token"])
    return await read_all(console)


@pytest.mark.parametrize("layer", ["in-process", "redis"])
def test_a_console_that_never_reads_is_closed_with_4008_on_every_layer(
    tmp_path: Path, layer: str
) -> None:
    if layer == "redis":
        require_services()
    env = desk_env(tmp_path, redis=layer == "redis")
    env["REFDESK_REDIS_PREFIX"] = f"slow{tmp_path.name}"
    env["REFDESK_SOCKET_QUEUE_BYTES"] = str(256 * 1024)
    env["REFDESK_RATE_MESSAGES_PER_CHAT_MINUTE"] = "1000000"
    setup = make_desk(env, tmp_path, patrons=1, librarians=1, waiting=0)
    with ServerProcess(env, tmp_path / "server.log").start() as server:
        frames, code = asyncio.run(stalled(server, setup))
        log = (tmp_path / "server.log").read_text()
    assert code == 4008
    seqs = [frame["seq"] for frame in frames if frame["type"] == "message"]
    # What the console got before the close is in order and without gaps; the rest it
    # reads from its snapshot after it reconnects.
    assert seqs == list(range(2, 2 + len(seqs)))
    assert 0 < len(seqs) < MESSAGES
    # The server closed it once its own queue passed the cap, holding no more than that.
    behind = [int(n) for n in re.findall(r"closing a socket whose client is (\d+) bytes", log)]
    assert len(behind) == 1
    assert 256 * 1024 < behind[0] <= 256 * 1024 + 2 * (len(BODY) + 200)
