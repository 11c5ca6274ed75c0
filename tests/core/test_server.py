"""A real server keeps answering pages when clients hold connections open."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import urllib.request
from pathlib import Path

import pytest
from bench.harness import ServerProcess
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.scale.support import desk_env, make_desk


def page_status(base_url: str, path: str) -> int:
    with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:  # noqa: S310
        return int(response.status)


def test_connections_that_never_finish_their_headers_are_closed(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    env["REFDESK_HEADER_TIMEOUT_SECONDS"] = "1"
    make_desk(env, tmp_path, patrons=1, librarians=1, waiting=0)
    with ServerProcess(env, tmp_path / "server.log").start() as server:
        slow = []
        for _ in range(50):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(conn)
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        slow.append(silent)
        # Pages answer while they hang.
        assert page_status(server.base_url, "/api/campuses") == 200
        # Each is closed by the server: the read sees the end of the stream, not a timeout.
        for conn in slow:
            assert conn.recv(1024) == b""
            conn.close()
        # A request whose headers arrive in time is served on a kept-alive connection.
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(2):
            kept.request("GET", "/healthz")
            response = kept.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["ok"] is True
        kept.close()


def test_at_the_open_file_limit_sockets_are_refused_and_pages_still_answer(
    tmp_path: Path,
) -> None:
    env = desk_env(tmp_path)
    # One patron token from one address: only the process's own cap applies here.
    env["REFDESK_MAX_SOCKETS_PER_CHAT"] = env["REFDESK_MAX_SOCKETS_PER_ADDRESS"] = "10000"
    setup = make_desk(env, tmp_path, patrons=1, librarians=1, waiting=0)
    token = setup["chats"][0]["token"]
    # 400 open files: the server keeps sockets to 400 less its reserve of 256.
    with ServerProcess(env, tmp_path / "server.log", open_files=400).start() as server:

        async def flood() -> tuple[int, int, list[int]]:
            accepted = refused = 0
            held = []
            statuses = []
            for i in range(450):
                try:
                    ws = await connect(
                        f"ws://127.0.0.1:{server.port}/ws/patron/{token}/",
                        origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
                        compression=None,
                        ping_interval=None,
                        open_timeout=10,
                    )
                except OSError:
                    refused += 1
                    continue
                first = await ws.recv()
                if '"too_many_connections"' in str(first):
                    with pytest.raises(ConnectionClosed) as closed:
                        await asyncio.wait_for(ws.recv(), timeout=10)
                    assert closed.value.rcvd is not None
                    assert closed.value.rcvd.code == 4429
                    refused += 1
                    await ws.close()
                else:
                    accepted += 1
                    held.append(ws)
                if i % 50 == 49:
                    statuses.append(
                        await asyncio.to_thread(page_status, server.base_url, "/ask/bench/")
                    )
            statuses.append(await asyncio.to_thread(page_status, server.base_url, "/api/campuses"))
            for ws in held:
                await ws.close()
            return accepted, refused, statuses

        accepted, refused, statuses = asyncio.run(flood())
    assert accepted == 400 - 256
    assert refused == 450 - accepted
    assert set(statuses) == {200}
