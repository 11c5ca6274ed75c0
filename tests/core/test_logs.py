"""No log line at the default level names a patron's address or chat token."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from pathlib import Path

import pytest
from bench.harness import ServerProcess

from refdesk.core.logs import RedactFilter, redact
from tests.scale.support import Socket, desk_env, make_desk

TOKEN = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhx"


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_a_websocket_handshake_line_loses_the_address_and_the_token() -> None:
    line = record(
        "uvicorn.error",
        '%s - "WebSocket %s" [accepted]',
        "203.0.113.7:51234",
        f"/ws/patron/{TOKEN}/?after=3",
    )
    assert RedactFilter().filter(line)
    assert line.getMessage() == '[address] - "WebSocket /ws/patron/[token]/?after=3" [accepted]'


def test_ipv6_addresses_are_redacted_but_clock_times_are_not() -> None:
    assert redact("2001:db8::1:443 - x") == "[address] - x"
    assert redact("::1:50000 - x") == "[address] - x"
    assert redact("fe80:0:0:0:1:2:3:4 at 15:02:11") == "[address] at 15:02:11"
    assert redact("sweep took 0:00:01.5") == "sweep took 0:00:01.5"


def test_the_opt_in_access_log_keeps_the_address_but_never_the_token() -> None:
    line = record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        "203.0.113.7:51234",
        "GET",
        f"/tickets/{TOKEN}/",
        "1.1",
        200,
    )
    assert RedactFilter(addresses=True).filter(line)
    assert line.getMessage() == '203.0.113.7:51234 - "GET /tickets/[token]/ HTTP/1.1" 200'
    hidden = record(
        "uvicorn.access", '%s - "%s %s HTTP/%s" %d', "203.0.113.7:51234", "GET", "/", "1.1", 200
    )
    RedactFilter().filter(hidden)
    assert "203.0.113.7" not in hidden.getMessage()


def test_a_production_server_logs_no_address_or_token_when_a_patron_connects(
    tmp_path: Path,
) -> None:
    env = desk_env(tmp_path)
    del env["REFDESK_LOG_LEVEL"]  # the default level, INFO
    setup = make_desk(env, tmp_path, patrons=1, librarians=1, waiting=0)
    token = setup["chats"][0]["token"]
    log_path = tmp_path / "server.log"
    server = ServerProcess(env, log_path).start()
    try:

        async def visit() -> int:
            patron = await Socket.open(server.port, f"/ws/patron/{token}/?after=0")
            state = await patron.until("chat.state")
            assert state["chat"]["id"] == setup["chats"][0]["chat_id"]
            port = int(patron.ws.local_address[1])
            await patron.close()
            return port

        client_port = asyncio.run(visit())
        # A refused request and a 404 with a token-like path, too.
        request = urllib.request.Request(  # noqa: S310
            f"{server.base_url}/tickets/{token}/", headers={"Accept": "text/html"}
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=5)  # noqa: S310
    finally:
        server.stop()
    log = log_path.read_text()
    assert '"WebSocket /ws/patron/[token]/?after=0" [accepted]' in log
    # The server's own address stays: the operator needs to see where it listens.
    assert f"Uvicorn running on http://127.0.0.1:{server.port}" in log
    assert token not in log
    assert f":{client_port}" not in log
    assert json.dumps(token)[1:-1] not in log
