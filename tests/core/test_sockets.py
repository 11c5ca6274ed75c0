"""Caps on the sockets a process holds, and on a chat's messages a minute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Message
from refdesk.core.sockets import census
from tests.support import TIMEOUT, answer_to, close, closed_with, open_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def open_from(
    path: str, *, address: str = "203.0.113.5", cookie: bytes | None = None
) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A socket from ``address``, and its first frame (the state, or why it is refused)."""
    socket = await open_socket(path, address=address, cookie=cookie)
    return socket, await socket.receive_json_from(timeout=TIMEOUT)


async def assert_refused(communicator: WebsocketCommunicator, first: dict[str, Any]) -> str:
    """The socket was told why and closed with 4429; returns the message."""
    assert first["type"] == "error"
    assert first["code"] == "too_many_connections"
    await closed_with(communicator, 4429)
    await close(communicator)
    return str(first["message"])


@pytest.fixture
async def chat_token(make_campus: Callable[..., object]) -> tuple[int, str]:
    def make() -> tuple[int, str]:
        campus = make_campus("north")
        chat, token = actions.do_create_chat(
            campus,  # type: ignore[arg-type]
            patron_name="Sam",
            patron_email="",
            question="Where are the theses?",
        )
        return chat.pk, token

    return await database_sync_to_async(make)()


async def test_one_token_opens_at_most_the_cap_of_sockets(
    chat_token: tuple[int, str], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "MAX_SOCKETS_PER_CHAT": 3}
    _chat_id, token = chat_token
    opened = []
    for address in ("203.0.113.5", "203.0.113.6", "198.51.100.7"):
        socket, state = await open_from(f"/ws/patron/{token}/", address=address)
        assert state["type"] == "chat.state"
        opened.append(socket)
    fourth, first = await open_from(f"/ws/patron/{token}/", address="198.51.100.8")
    assert "too many windows" in await assert_refused(fourth, first)
    # A tab that closes makes room for another.
    await opened.pop().disconnect()
    again, state = await open_from(f"/ws/patron/{token}/", address="198.51.100.8")
    assert state["type"] == "chat.state"
    for socket in [*opened, again]:
        await socket.disconnect()
    assert census.total == 0
    assert not census.counts


async def test_one_address_opens_at_most_the_cap_of_sockets_of_any_kind(
    chat_token: tuple[int, str], make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "MAX_SOCKETS_PER_ADDRESS": 2}
    _chat_id, token = chat_token
    ana = await database_sync_to_async(make_librarian)("ana")
    cookie = await database_sync_to_async(session_cookie)(ana)
    patron, _ = await open_from(f"/ws/patron/{token}/")
    console, snapshot = await open_from("/ws/staff/", cookie=cookie)
    assert snapshot["type"] == "snapshot"
    third, first = await open_from(f"/ws/patron/{token}/")
    assert "Too many connections from your network" in await assert_refused(third, first)
    console_too, first = await open_from("/ws/staff/", cookie=cookie)
    await assert_refused(console_too, first)
    elsewhere, state = await open_from(f"/ws/patron/{token}/", address="192.0.2.44")
    assert state["type"] == "chat.state"
    for socket in (patron, console, elsewhere):
        await socket.disconnect()
    assert census.total == 0


async def test_a_process_refuses_sockets_past_its_total_cap(
    chat_token: tuple[int, str], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "MAX_SOCKETS": 2}
    _chat_id, token = chat_token
    first_socket, _ = await open_from(f"/ws/patron/{token}/", address="192.0.2.1")
    second_socket, _ = await open_from(f"/ws/patron/{token}/", address="192.0.2.2")
    third, first = await open_from(f"/ws/patron/{token}/", address="192.0.2.3")
    assert "too busy" in await assert_refused(third, first)
    for socket in (first_socket, second_socket):
        await socket.disconnect()


async def test_a_chat_takes_at_most_its_messages_a_minute_over_all_its_sockets(
    chat_token: tuple[int, str], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "MESSAGES_PER_CHAT_MINUTE": 5}
    chat_id, token = chat_token
    tabs = [(await open_from(f"/ws/patron/{token}/", address=f"192.0.2.{i}"))[0] for i in (1, 2)]
    answers = []
    for i in range(6):
        frame = {"type": "message.send", "client_id": f"m{i}", "body": f"line {i}"}
        # Each tab's answer to its own frame: other tabs' messages pass by.
        answers.append(await answer_to(tabs[i % 2], frame, ref=i))
    assert [a["type"] for a in answers] == ["ack"] * 5 + ["error"]
    refused = answers[-1]
    assert refused["code"] == "rate_limited"
    assert refused["ref"] == 5
    assert 11 <= refused["retry_after"] <= 12.1  # one message in 12 s at 5 a minute
    bodies = await database_sync_to_async(
        lambda: list(Message.objects.filter(chat_id=chat_id).values_list("body", flat=True))
    )()
    assert bodies == ["Where are the theses?"] + [f"line {i}" for i in range(5)]
    for tab in tabs:
        await tab.disconnect()
