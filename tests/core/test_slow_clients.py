"""A client that never reads is closed with 4008; nothing queues up for it in the server."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from bench.harness import ServerProcess, rss_bytes
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.scale.support import Socket, desk_env, make_desk, require_services

MESSAGES = 3000
BODY = "x" * 3990


async def open_console(
    server: ServerProcess, cookie: str, *, small_buffer: bool
) -> ClientConnection:
    raw = socket.socket()
    if small_buffer:
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
        max_queue=1 if small_buffer else None,
        max_size=None,
    )
    snapshot = json.loads(await console.recv())
    assert snapshot["type"] == "snapshot"
    return console


async def flood(server: ServerProcess, token: str) -> int:
    """A patron sends MESSAGES long lines, each after the last one's ack; returns how
    much the server's memory grew meanwhile."""
    before = rss_bytes(server.pid)
    patron = await Socket.open(server.port, f"/ws/patron/{token}/")
    await patron.until("chat.state")
    for i in range(MESSAGES):
        await patron.send({"type": "message.send", "client_id": f"m{i}", "body": BODY, "ref": i})
        ack = await patron.until("ack", lambda frame, i=i: frame["ref"] == i)
        assert ack["message"]["seq"] == i + 2
    grown = rss_bytes(server.pid) - before
    await patron.close()
    return grown


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


async def stalled_and_reading(
    server: ServerProcess, setup: dict[str, Any]
) -> tuple[list[dict[str, Any]], int | None, int, int]:
    """The same flood to a console that reads and to one that does not (each holds one
    chat): the stalled console's frames and close code, and both floods' memory growth."""
    reading_chat, stalled_chat = setup["chats"]
    cookies = [librarian["cookie"] for librarian in setup["librarians"]]
    reading = await open_console(server, cookies[reading_chat["librarian"]], small_buffer=False)
    drain = asyncio.create_task(read_all(reading))
    grown_reading = await flood(server, reading_chat["token"])
    await reading.close()
    await drain
    stalled = await open_console(server, cookies[stalled_chat["librarian"]], small_buffer=True)
    grown_stalled = await flood(server, stalled_chat["token"])
    frames, code = await read_all(stalled)
    return frames, code, grown_reading, grown_stalled


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
    setup = make_desk(env, tmp_path, patrons=2, librarians=2, waiting=0)
    with ServerProcess(env, tmp_path / "server.log").start() as server:
        frames, code, grown_reading, grown_stalled = asyncio.run(stalled_and_reading(server, setup))
        log = (tmp_path / "server.log").read_text()
    assert code == 4008
    seqs = [frame["seq"] for frame in frames if frame["type"] == "message"]
    # What the console got before the close is in order and without gaps; the rest it
    # reads from its snapshot after it reconnects.
    assert seqs == list(range(2, 2 + len(seqs)))
    assert 0 < len(seqs) < MESSAGES
    assert "closing a socket whose client is" in log
    # 12 MB of messages passed the stalled console, and the server kept none of it
    # queued: its memory grew as it did for a console that read them all.
    assert grown_stalled < grown_reading + 4 * 1024 * 1024
