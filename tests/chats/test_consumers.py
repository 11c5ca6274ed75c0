"""The patron and staff sockets, through the real routing and the real middleware."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.actions import do_end_grace_periods
from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, Message
from refdesk.core.db import run_action
from tests.support import (
    close,
    closed_with,
    handshake,
    open_patron,
    open_socket,
    open_staff,
    receive_until,
    recheck_console_sessions,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def people(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    make = database_sync_to_async(make_librarian)
    return {
        "ana": await make("ana", campus="north"),
        "ben": await make("ben", campus="south"),
    }


@pytest.mark.engines
async def test_the_whole_loop_patron_asks_librarian_claims_they_talk_and_it_ends(
    people: dict[str, Librarian],
) -> None:
    ana_ws, snapshot = await open_staff(people["ana"])
    ben_ws, _ = await open_staff(people["ben"])
    assert snapshot["waiting"] == []
    assert {p["display_name"]: p["status"] for p in snapshot["presence"]}["Ana"] == "online"

    chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="Do you have APA guides?"
    )
    for ws in (ana_ws, ben_ws):
        created = await receive_until(ws, "chat.created")
        assert created["chat"]["id"] == chat.pk
        assert created["chat"]["question"] == "Do you have APA guides?"

    patron, state = await open_patron(token)
    assert [m["body"] for m in state["messages"]] == ["Do you have APA guides?"]

    await ana_ws.send_json_to({"type": "chat.claim", "chat_id": chat.pk, "ref": "c1"})
    ack = await receive_until(ana_ws, "ack")
    assert ack["ref"] == "c1"
    assert ack["chat"]["claimed_by"] == "Ana"
    claimed = await receive_until(ben_ws, "chat.claimed")
    assert claimed["by"] == "Ana"
    assert (await receive_until(patron, "chat.claimed"))["by"] == "Ana"

    await ben_ws.send_json_to({"type": "chat.claim", "chat_id": chat.pk, "ref": "c2"})
    refused = await receive_until(ben_ws, "error")
    assert (refused["code"], refused["by"], refused["ref"]) == ("already_claimed", "Ana", "c2")

    await ana_ws.send_json_to({"type": "typing", "chat_id": chat.pk, "active": True})
    typing = await receive_until(patron, "typing")
    assert typing["active"] is True
    await ana_ws.send_json_to(
        {
            "type": "message.send",
            "chat_id": chat.pk,
            "client_id": "a1",
            "body": "Hi Sam, yes: https://lib.example.edu/apa",
            "ref": 7,
        }
    )
    assert (await receive_until(ana_ws, "ack"))["message"]["seq"] == 2
    assert (await receive_until(patron, "message"))["body"].startswith("Hi Sam")

    await patron.send_json_to({"type": "typing", "active": True})
    assert (await receive_until(ana_ws, "typing"))["sender"] == "patron"
    await patron.send_json_to({"type": "message.send", "client_id": "p1", "body": "Thanks 🙏"})
    assert (await receive_until(patron, "ack"))["message"]["seq"] == 3
    assert (await receive_until(ana_ws, "message"))["body"] == "Thanks 🙏"

    await ana_ws.send_json_to(
        {"type": "chat.end", "chat_id": chat.pk, "closing": "I hope that helps. Have a great day!"}
    )
    ended = await receive_until(patron, "chat.ended")
    assert ended["reason"] == "closed"
    assert (await receive_until(ben_ws, "chat.ended"))["chat_id"] == chat.pk

    await patron.send_json_to({"type": "message.send", "client_id": "p2", "body": "wait"})
    late = await receive_until(patron, "error")
    assert late["code"] == "chat_ended"
    await close(ana_ws, ben_ws, patron)


async def test_a_reconnecting_patron_gets_only_the_messages_after_its_last_seq(
    people: dict[str, Librarian],
) -> None:
    ana_ws, _ = await open_staff(people["ana"])
    chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="one"
    )
    await database_sync_to_async(actions.do_claim_chat)(chat.pk, acting_librarian=people["ana"])
    for i in range(2, 6):
        await database_sync_to_async(actions.check_send_librarian_message)(
            chat.pk, acting_librarian=people["ana"], client_id=f"m{i}", body=f"line {i}"
        )
    patron, state = await open_patron(token, after=3)
    assert [m["seq"] for m in state["messages"]] == [4, 5]
    assert state["chat"]["librarian_name"] == "Ana"
    await close(patron, ana_ws)


@pytest.mark.engines
async def test_a_reconnecting_console_gets_its_active_chats_with_every_message(
    people: dict[str, Librarian],
) -> None:
    ana_ws, snapshot = await open_staff(people["ana"])
    chat, _token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    await database_sync_to_async(actions.do_claim_chat)(chat.pk, acting_librarian=people["ana"])
    await database_sync_to_async(actions.check_send_patron_message)(
        chat, client_id="x", body="more"
    )
    await ana_ws.disconnect()
    again, snapshot = await open_staff(people["ana"], after=snapshot["event_id"])
    assert [c["id"] for c in snapshot["active"]] == [chat.pk]
    assert [m["body"] for m in snapshot["active"][0]["messages"]] == ["q", "more"]
    await again.disconnect()


async def test_a_console_that_was_away_learns_how_its_chats_ended(
    people: dict[str, Librarian],
) -> None:
    ana_ws, _ = await open_staff(people["ana"])
    chat, _token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    await database_sync_to_async(actions.do_claim_chat)(chat.pk, acting_librarian=people["ana"])
    cursor = (await receive_until(ana_ws, "chat.claimed"))["event_id"]
    await ana_ws.disconnect()
    fresh = await database_sync_to_async(Chat.objects.get)(pk=chat.pk)
    await database_sync_to_async(actions.do_end_chat)(fresh, reason="patron_left")
    again, snapshot = await open_staff(people["ana"], after=cursor)
    assert snapshot["active"] == []
    assert [(c["id"], c["end_reason"]) for c in snapshot["ended"]] == [(chat.pk, "patron_left")]
    await again.disconnect()


async def test_waiting_chats_from_before_login_are_in_the_snapshot(
    people: dict[str, Librarian],
) -> None:
    ana_ws, _ = await open_staff(people["ana"])
    chat, _token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="south", name="", email="", question="hours?"
    )
    ben_ws, snapshot = await open_staff(people["ben"])
    assert [c["id"] for c in snapshot["waiting"]] == [chat.pk]
    assert snapshot["waiting"][0]["campus"] == "south"
    await ana_ws.disconnect()
    await ben_ws.disconnect()


async def test_a_staff_socket_without_login_is_closed_with_4401() -> None:
    socket = await open_socket("/ws/staff/")
    error = await socket.receive_json_from()
    assert error["code"] == "unauthenticated"
    await closed_with(socket, 4401)
    await close(socket)


async def test_a_socket_from_a_foreign_origin_is_refused(people: dict[str, Librarian]) -> None:
    cookie = await database_sync_to_async(session_cookie)(people["ana"])
    assert not await handshake("/ws/staff/", origin=b"https://evil.example", cookie=cookie)


async def test_an_embedding_site_cannot_open_the_staff_socket_with_a_librarians_cookie(
    people: dict[str, Librarian], settings: Any
) -> None:
    settings.EMBED_ORIGINS = ["https://library.example.edu", "http://127.0.0.1:8080"]
    cookie = await database_sync_to_async(session_cookie)(people["ana"])
    for embedding_site in (b"https://library.example.edu", b"http://127.0.0.1:8080"):
        assert not await handshake("/ws/staff/", origin=embedding_site, cookie=cookie)
    assert await handshake("/ws/staff/", origin=b"http://127.0.0.1", cookie=cookie)


async def test_the_staff_socket_matches_the_desks_scheme(
    people: dict[str, Librarian],
) -> None:
    cookie = await database_sync_to_async(session_cookie)(people["ana"])
    # The desk reached over plain http is not the https page of the same host, and back.
    assert not await handshake("/ws/staff/", origin=b"https://127.0.0.1", cookie=cookie)
    assert not await handshake(
        "/ws/staff/", origin=b"http://127.0.0.1", cookie=cookie, scheme="wss"
    )
    assert await handshake("/ws/staff/", origin=b"https://127.0.0.1", cookie=cookie, scheme="wss")


async def test_a_trusted_desk_origin_opens_the_staff_socket_behind_a_tls_proxy(
    people: dict[str, Librarian], settings: Any
) -> None:
    # A proxy that terminates TLS without telling the server: the desk's public origin is
    # listed in REFDESK_CSRF_TRUSTED_ORIGINS.
    settings.CSRF_TRUSTED_ORIGINS = ["https://desk.example.edu", "https://*.example.edu"]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "desk.example.edu"]
    cookie = await database_sync_to_async(session_cookie)(people["ana"])
    assert await handshake("/ws/staff/", origin=b"https://desk.example.edu", cookie=cookie)
    # A wildcard is a CSRF convenience, never a socket origin.
    assert not await handshake("/ws/staff/", origin=b"https://cms.example.edu", cookie=cookie)


async def test_an_unknown_patron_token_is_closed_with_4403(people: dict[str, Librarian]) -> None:
    socket = await open_socket("/ws/patron/not-a-real-token/")
    assert (await socket.receive_json_from())["code"] == "not_found"
    await closed_with(socket, 4403)
    await close(socket)


async def test_a_patron_token_reaches_only_its_own_chat(people: dict[str, Librarian]) -> None:
    console, _ = await open_staff(people["ana"])
    mine, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="mine"
    )
    other, _ = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Kim", email="", question="theirs"
    )
    patron, state = await open_patron(token)
    assert state["chat"]["id"] == mine.pk
    # A chat_id in the frame is ignored: the token decides the chat.
    await patron.send_json_to(
        {"type": "message.send", "chat_id": other.pk, "client_id": "z", "body": "hello"}
    )
    await receive_until(patron, "ack")
    assert await database_sync_to_async(Message.objects.filter(chat=other).count)() == 1
    assert await database_sync_to_async(Message.objects.filter(chat=mine).count)() == 2
    await close(patron, console)


BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("not json", "bad_json"),
    ('{"type": "message.send", "body": ', "bad_json"),
    ("[1, 2, 3]", "bad_frame"),
    ('{"no_type": true}', "unknown_type"),
    ('{"type": "chat.explode"}', "unknown_type"),
    ('{"type": 42}', "unknown_type"),
    (json.dumps({"type": "message.send", "client_id": "c", "body": "x" * 4001}), "too_long"),
    (json.dumps({"type": "message.send", "client_id": "c", "body": 12}), "invalid"),
    (json.dumps({"type": "message.send", "client_id": ["c"], "body": "hi"}), "invalid"),
    (json.dumps({"type": "typing", "active": "yes"}), "invalid"),
    ("[" * 100000, "too_large"),
    ("[" * 50000 + "]" * 50000, "too_large"),
    ("[" * 20000 + "]" * 20000, "bad_json"),
    (json.dumps({"type": "message.send", "body": "y" * 70000}), "too_large"),
    (b"\x00\x01binary", "bad_frame"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_a_bad_patron_frame_gets_an_error_keeps_the_socket_and_stores_nothing(
    people: dict[str, Librarian], frame: str | bytes, code: str
) -> None:
    console, _ = await open_staff(people["ana"])
    chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    patron, _state = await open_patron(token)
    if isinstance(frame, bytes):
        await patron.send_to(bytes_data=frame)
    else:
        await patron.send_to(text_data=frame)
    error = await receive_until(patron, "error")
    assert error["code"] == code
    assert error["message"]
    # The socket is still open and usable.
    await patron.send_json_to({"type": "message.send", "client_id": "ok", "body": "still here"})
    assert (await receive_until(patron, "ack"))["message"]["body"] == "still here"
    bodies = await database_sync_to_async(
        lambda: list(Message.objects.filter(chat=chat).values_list("body", flat=True))
    )()
    assert bodies == ["q", "still here"]
    await close(patron, console)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "chat.claim"},
        {"type": "chat.claim", "chat_id": "1"},
        {"type": "chat.claim", "chat_id": -1},
        {"type": "chat.claim", "chat_id": True},
        {"type": "chat.claim", "chat_id": 10**30},
        {"type": "message.send", "chat_id": 999999, "client_id": "x", "body": "hi"},
        {"type": "chat.end", "chat_id": 999999},
    ],
)
async def test_bad_staff_frames_get_an_error_frame(
    people: dict[str, Librarian], frame: dict[str, Any]
) -> None:
    ana_ws, _ = await open_staff(people["ana"])
    await ana_ws.send_json_to({**frame, "ref": "bad"})
    error = await receive_until(ana_ws, "error")
    assert error["ref"] == "bad"
    assert error["code"] in {"invalid", "not_found"}
    await ana_ws.disconnect()


async def test_a_librarian_cannot_type_or_send_into_another_librarians_chat(
    people: dict[str, Librarian],
) -> None:
    ben_ws, _ = await open_staff(people["ben"])
    chat, _token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    await database_sync_to_async(actions.do_claim_chat)(chat.pk, acting_librarian=people["ana"])
    for frame in (
        {"type": "message.send", "chat_id": chat.pk, "client_id": "b", "body": "mine now"},
        {"type": "typing", "chat_id": chat.pk, "active": True},
        {"type": "chat.end", "chat_id": chat.pk},
        {"type": "chat.fetch", "chat_id": chat.pk},
    ):
        await ben_ws.send_json_to(frame)
        assert (await receive_until(ben_ws, "error"))["code"] == "not_yours"
    fresh = await database_sync_to_async(Chat.objects.get)(pk=chat.pk)
    assert fresh.state == "active"
    assert await database_sync_to_async(Message.objects.filter(chat=chat).count)() == 1
    await ben_ws.disconnect()


async def test_presence_goes_offline_when_the_grace_period_after_the_last_console_ends(
    people: dict[str, Librarian], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "OFFLINE_GRACE_SECONDS": 0}
    ana_ws, _ = await open_staff(people["ana"])
    ben_ws, _ = await open_staff(people["ben"])
    while (await receive_until(ana_ws, "presence"))["display_name"] != "Ben":
        pass
    await ben_ws.disconnect()
    # Closing the last console starts the grace period; the sweeper's job ends it.
    assert await run_action(do_end_grace_periods) == [people["ben"].pk]
    gone = await receive_until(ana_ws, "presence")
    assert (gone["display_name"], gone["status"]) == ("Ben", "offline")
    await ana_ws.disconnect()


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"http://127.0.0.1:9999", b"null", b"", b"javascript:alert(1)"],
)
async def test_a_patron_socket_from_anywhere_but_the_desk_is_refused(
    people: dict[str, Librarian], origin: bytes
) -> None:
    console, _ = await open_staff(people["ana"])
    _chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    assert not await handshake(f"/ws/patron/{token}/", origin=origin)
    await close(console)


async def test_a_configured_embedding_site_may_open_a_patron_socket(
    people: dict[str, Librarian], settings: Any
) -> None:
    settings.EMBED_ORIGINS = ["https://library.example.edu"]
    console, _ = await open_staff(people["ana"])
    _chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    ok, _state = await open_patron(token, origin=b"https://library.example.edu")
    await close(ok)
    assert not await handshake(f"/ws/patron/{token}/", origin=b"http://library.example.edu")
    await close(console)


async def test_a_listening_console_is_closed_once_its_session_is_logged_out(
    people: dict[str, Librarian],
) -> None:
    from django.contrib.sessions.models import Session

    ana_ws, _ = await open_staff(people["ana"])
    ben_ws, _ = await open_staff(people["ben"])
    assert await recheck_console_sessions() == 0
    await database_sync_to_async(
        lambda: Session.objects.filter(
            session_key__in=[
                s.session_key
                for s in Session.objects.all()
                if s.get_decoded().get("_auth_user_id") == str(people["ana"].user.pk)
            ]
        ).delete()
    )()
    assert await recheck_console_sessions() == 1
    assert (await receive_until(ana_ws, "error"))["code"] == "unauthenticated"
    await closed_with(ana_ws, 4401)
    # Ben's console still hears the desk; Ana's heard nothing more.
    await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="secret@example.edu", question="private"
    )
    assert (await receive_until(ben_ws, "chat.created"))["chat"]["question"] == "private"
    assert await ana_ws.receive_nothing(timeout=0.3)
    await close(ana_ws, ben_ws)


async def test_a_password_change_closes_the_console_at_the_next_sweep(
    people: dict[str, Librarian],
) -> None:
    ana_ws, _ = await open_staff(people["ana"])
    ben_ws, _ = await open_staff(people["ben"])

    def change_password() -> None:
        user = people["ana"].user
        user.set_password("a-new-password-entirely")
        user.save()

    await database_sync_to_async(change_password)()
    assert await recheck_console_sessions() == 1
    assert (await receive_until(ana_ws, "error"))["code"] == "unauthenticated"
    await closed_with(ana_ws, 4401)
    await ben_ws.send_json_to({"type": "chat.claim", "chat_id": 999999, "ref": "still"})
    assert (await receive_until(ben_ws, "error"))["code"] == "not_found"
    await close(ana_ws, ben_ws)


async def test_a_flood_of_frames_is_slowed_with_retry_after_and_the_socket_stays_open(
    people: dict[str, Librarian],
) -> None:
    console, _ = await open_staff(people["ana"])
    chat, token = await database_sync_to_async(actions.check_create_chat)(
        campus_slug="north", name="Sam", email="", question="q"
    )
    patron, _state = await open_patron(token)
    for i in range(40):
        await patron.send_json_to(
            {"type": "message.send", "client_id": f"f{i}", "body": f"flood {i}", "ref": i}
        )
    answers = [await patron.receive_json_from(timeout=5) for _ in range(40)]
    limited = [a for a in answers if a.get("code") == "rate_limited"]
    stored = [a for a in answers if a["type"] == "ack"]
    assert len(stored) >= 20
    assert len(limited) >= 15
    assert all(0 < a["retry_after"] <= 1 and isinstance(a["ref"], int) for a in limited)
    count = await database_sync_to_async(Message.objects.filter(chat=chat).count)()
    assert count == 1 + len(stored)
    await asyncio.sleep(1.1)
    await patron.send_json_to({"type": "message.send", "client_id": "later", "body": "calm"})
    assert (await receive_until(patron, "ack"))["message"]["body"] == "calm"
    await close(patron, console)
