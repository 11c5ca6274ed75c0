"""Sockets through the real routing: a librarian's console, a patron's chat, and the
frames they get.

Every socket goes through ``refdesk.asgi.application`` (origin checks, routing, the
consumers) with Channels' ``WebsocketCommunicator``. The consumers themselves are named
only here: tests that need one of them, or their registry of open consoles, ask this
module, so that the consumers can move without touching the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.asgi import application

DESK_ORIGIN = b"http://127.0.0.1"
DESK_HOST = b"127.0.0.1"
TIMEOUT = 5


def session_cookie(who: Librarian | AbstractBaseUser) -> bytes:
    """A ``Cookie`` header value with a fresh logged-in session of ``who`` (a librarian, or
    any Django user). Sync: call it through ``database_sync_to_async`` from async code."""
    user = who.user if isinstance(who, Librarian) else who
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket_headers(
    *, origin: bytes = DESK_ORIGIN, cookie: bytes | None = None
) -> list[tuple[bytes, bytes]]:
    """The handshake's headers: the desk's host, ``origin``, and the cookie if any."""
    headers = [(b"origin", origin), (b"host", DESK_HOST)]
    if cookie:
        headers.append((b"cookie", cookie))
    return headers


def communicator(
    path: str,
    *,
    origin: bytes = DESK_ORIGIN,
    cookie: bytes | None = None,
    address: str | None = None,
    scheme: str | None = None,
) -> WebsocketCommunicator:
    """A communicator for ``path`` that has not connected yet (``address`` is the
    client's IP address, ``scheme`` ``"ws"`` or ``"wss"``)."""
    made = WebsocketCommunicator(
        application, path, headers=socket_headers(origin=origin, cookie=cookie)
    )
    if address is not None:
        made.scope["client"] = (address, 40000)
    if scheme is not None:
        made.scope["scheme"] = scheme
    return made


async def open_socket(
    path: str,
    *,
    origin: bytes = DESK_ORIGIN,
    cookie: bytes | None = None,
    user: Librarian | AbstractBaseUser | None = None,
    address: str | None = None,
    scheme: str | None = None,
) -> WebsocketCommunicator:
    """A connected socket on ``path``, its first frame not read yet. ``user`` logs in a
    new session for the cookie."""
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
    socket = communicator(path, origin=origin, cookie=cookie, address=address, scheme=scheme)
    connected, _ = await socket.connect()
    assert connected, f"the handshake to {path} was refused"
    return socket


async def handshake(
    path: str,
    *,
    origin: bytes = DESK_ORIGIN,
    cookie: bytes | None = None,
    scheme: str | None = None,
) -> bool:
    """Whether the handshake to ``path`` is accepted (the socket is closed again)."""
    socket = communicator(path, origin=origin, cookie=cookie, scheme=scheme)
    connected, _ = await socket.connect()
    if connected:
        await socket.disconnect()
    return bool(connected)


async def open_staff(
    librarian: Librarian,
    *,
    after: int = 0,
    cookie: bytes | None = None,
    origin: bytes = DESK_ORIGIN,
    address: str | None = None,
) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A librarian's console (a new session unless ``cookie`` is given) and its snapshot."""
    if cookie is None:
        cookie = await database_sync_to_async(session_cookie)(librarian)
    socket = await open_socket(
        f"/ws/staff/?after={after}", origin=origin, cookie=cookie, address=address
    )
    snapshot = await socket.receive_json_from(timeout=TIMEOUT)
    assert snapshot["type"] == "snapshot", snapshot
    return socket, snapshot


async def open_patron(
    token: str,
    *,
    after: int | None = None,
    origin: bytes = DESK_ORIGIN,
    address: str | None = None,
) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A patron's socket on the chat of ``token`` and its ``chat.state``."""
    path = f"/ws/patron/{token}/" + (f"?after={after}" if after is not None else "")
    socket = await open_socket(path, origin=origin, address=address)
    state = await socket.receive_json_from(timeout=TIMEOUT)
    assert state["type"] == "chat.state", state
    return socket, state


async def receive_until(
    socket: WebsocketCommunicator,
    frame_type: str,
    *,
    match: Callable[[dict[str, Any]], bool] | None = None,
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """The next frame of ``frame_type`` (that ``match`` accepts); earlier frames pass by."""
    while True:
        frame: dict[str, Any] = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type and (match is None or match(frame)):
            return frame


async def answer_to(
    socket: WebsocketCommunicator, frame: dict[str, Any], *, ref: str | int = "answer-me"
) -> dict[str, Any]:
    """Send ``frame`` with ``ref``; its ``ack`` or ``error`` (other frames pass by)."""
    await socket.send_json_to({**frame, "ref": ref})
    while True:
        answer: dict[str, Any] = await socket.receive_json_from(timeout=TIMEOUT)
        if answer["type"] in {"ack", "error"} and answer.get("ref") == ref:
            return answer


async def closed_with(socket: WebsocketCommunicator, code: int) -> None:
    """The next thing the socket does is to close with ``code``."""
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": code}


async def close(*sockets: WebsocketCommunicator) -> None:
    """Disconnect every socket given, as every socket test must (a socket the server has
    closed already included)."""
    for socket in sockets:
        await socket.disconnect()


# ---------------------------------------------------------------------------
# The consumers, named here only
# ---------------------------------------------------------------------------


def consumer_classes() -> dict[str, Any]:
    """The consumer class behind each socket: ``{"patron": ..., "staff": ...}``."""
    from refdesk.console.consumers import StaffConsumer
    from refdesk.widget.consumers import PatronConsumer

    return {"patron": PatronConsumer, "staff": StaffConsumer}


def console_registry() -> dict[str, Any]:
    """The consoles this process holds (channel name → consumer), for the session sweep."""
    from refdesk.console import consumers

    return consumers._consoles


async def recheck_console_sessions() -> int:
    """Run the sweep's session check of this process's consoles; how many it closed."""
    from refdesk.console.consumers import recheck_console_sessions as recheck

    return await recheck()


def staff_snapshot(librarian: Librarian, after: int = 0) -> dict[str, Any]:
    """The snapshot a console of ``librarian`` gets first, built directly (sync)."""
    from refdesk.core.frames import build_snapshot

    return build_snapshot(librarian, after)
