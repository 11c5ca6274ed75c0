"""Watching through the real sockets: what the watcher, the holder and the patron each
receive; read-only refusals; the call for a supervisor reaching two consoles. Marked
``engines``: they run again on PostgreSQL and Redis, where the groups and the layer meta
cross a real channel layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatNote
from tests.support import answer_to, close, open_patron, open_staff, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def world(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> tuple[Librarian, Librarian, Librarian, Chat, str]:
    def setup() -> tuple[Librarian, Librarian, Librarian, Chat, str]:
        ana = make_librarian("ana")
        ben = make_librarian("ben", campus="south")
        dee = make_librarian("dee", role="supervisor", display_name="Dee")
        chat, token = new_chat()
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
        return ana, ben, dee, chat, token

    return await database_sync_to_async(setup)()


@pytest.mark.engines
async def test_a_watcher_sees_lines_and_notes_live_read_only_and_the_patron_sees_no_note(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    ana, ben, dee, chat, token = await world(make_librarian, new_chat)
    holder, _ = await open_staff(ana)
    watcher, _ = await open_staff(dee)
    other, _ = await open_staff(ben)
    patron, _ = await open_patron(token)

    # A librarian without the role may not watch.
    refused = await answer_to(other, {"type": "chat.watch", "chat_id": chat.pk})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")

    watched = await answer_to(watcher, {"type": "chat.watch", "chat_id": chat.pk})
    assert watched["type"] == "ack"
    assert watched["chat"]["id"] == chat.pk
    assert [m["body"] for m in watched["chat"]["messages"]] == ["Do you have APA guides?"]
    assert (watched["notes"], watched["joined"]) == ([], False)

    # The patron's next line reaches the holder and the watcher.
    sent = await answer_to(patron, {"type": "message.send", "client_id": "p1", "body": "Hello?"})
    line = sent["message"]
    assert await receive_until(holder, "message") == line
    assert await receive_until(watcher, "message") == line

    # Read-only: the watcher may not write or type to the patron, nor hand the chat on.
    for frame in (
        {"type": "message.send", "chat_id": chat.pk, "client_id": "w1", "body": "Hi"},
        {"type": "typing", "chat_id": chat.pk, "active": True},
        {"type": "chat.transfer", "chat_id": chat.pk, "to_campus": "north"},
    ):
        answer = await answer_to(watcher, frame)
        assert (answer["type"], answer["code"]) == ("error", "not_yours"), frame

    # A note from the watcher: the holder and the watcher get it; the patron does not.
    # (Over Redis the writer's copy of the note may come before or after its ack.)
    await watcher.send_json_to(
        {"type": "chat.note", "chat_id": chat.pk, "client_id": "n1", "body": "Go gently"}
    )
    seen: dict[str, dict[str, Any]] = {}
    while len(seen) < 2:  # the ack and the note
        frame = await watcher.receive_json_from()
        if frame["type"] in {"ack", "note"}:
            assert frame["type"] not in seen, frame
            seen[frame["type"]] = frame
    note = seen["ack"]["note"]
    assert (note["type"], note["body"], note["author_id"]) == ("note", "Go gently", dee.pk)
    assert seen["note"] == note
    assert await receive_until(holder, "note") == note
    # The patron's next frame is the holder's reply: no note came before it.
    reply = await answer_to(
        holder, {"type": "message.send", "chat_id": chat.pk, "client_id": "a1", "body": "Sure"}
    )
    assert await patron.receive_json_from() == reply["message"]
    assert await receive_until(watcher, "message") == reply["message"]
    # The holder's typing reaches the patron but is not forwarded to the watcher; the
    # patron-only request for an email is not either: the watcher's next frame is the
    # staff chat.ended, once.
    await holder.send_json_to({"type": "typing", "chat_id": chat.pk, "active": True})
    assert (await patron.receive_json_from())["type"] == "typing"
    await answer_to(holder, {"type": "chat.ask_email", "chat_id": chat.pk})
    assert (await patron.receive_json_from())["type"] == "email.requested"
    ended = await answer_to(holder, {"type": "chat.end", "chat_id": chat.pk})
    assert ended["state"] == "ended"
    before = []
    frame = await watcher.receive_json_from()
    while frame["type"] != "chat.ended":
        before.append(frame["type"])
        frame = await watcher.receive_json_from()
    assert set(before) <= {"message", "presence"}, before
    assert (frame["chat_id"], "event_id" in frame) == (chat.pk, True)
    # The watch ended with the chat: a note on it now is refused, and nothing else came.
    late = await answer_to(watcher, {"type": "chat.note", "chat_id": chat.pk, "body": "x"})
    assert late["code"] == "chat_ended"
    assert await database_sync_to_async(ChatNote.objects.count)() == 1
    await close(holder, watcher, other, patron)


async def test_a_joined_supervisor_s_line_reaches_the_patron_and_the_holder(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    ana, ben, dee, chat, token = await world(make_librarian, new_chat)
    holder, _ = await open_staff(ana)
    watcher, _ = await open_staff(dee)
    other, _ = await open_staff(ben)
    patron, _ = await open_patron(token)
    refused = await answer_to(other, {"type": "chat.join", "chat_id": chat.pk})
    assert refused["code"] == "forbidden"
    await answer_to(watcher, {"type": "chat.watch", "chat_id": chat.pk})
    joined = await answer_to(watcher, {"type": "chat.join", "chat_id": chat.pk})
    assert (joined["chat_id"], joined["joined"]) == (chat.pk, True)
    seen = await patron.receive_json_from()
    assert (seen["type"], seen["sender"], seen["body"]) == ("message", "system", "Dee joined")
    assert (await receive_until(holder, "message"))["body"] == "Dee joined"
    sent = await answer_to(
        watcher, {"type": "message.send", "chat_id": chat.pk, "client_id": "d1", "body": "Hi Sam"}
    )
    assert sent["message"]["sender_name"] == "Dee"
    assert await patron.receive_json_from() == sent["message"]
    assert await receive_until(holder, "message") == sent["message"]
    left = await answer_to(watcher, {"type": "chat.leave_join", "chat_id": chat.pk})
    assert left["joined"] is False
    assert (await patron.receive_json_from())["body"] == "Dee left"
    await close(holder, watcher, other, patron)


@pytest.mark.engines
async def test_a_call_for_a_supervisor_reaches_two_supervisor_consoles_and_no_librarian(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    ana, ben, dee, chat, _token = await world(make_librarian, new_chat)
    root = await database_sync_to_async(make_librarian)("root", role="admin")
    holder, _ = await open_staff(ana)
    other, _ = await open_staff(ben)
    first, _ = await open_staff(dee)
    second, _ = await open_staff(root)
    ack = await answer_to(
        holder, {"type": "chat.alert_supervisor", "chat_id": chat.pk, "note": "Crisis"}
    )
    assert ack == {"type": "ack", "ref": "answer-me", "supervisors_online": 2}
    for console in (first, second):
        alert = await receive_until(console, "alert")
        assert alert == {
            "type": "alert",
            "kind": "supervisor",
            "chat_id": chat.pk,
            "campus": "north",
            "from_librarian_id": ana.pk,
            "from_name": "Ana",
            "note": "Crisis",
            "at": alert["at"],
        }
    # A librarian's console gets no alert: its next frame is the next chat's creation.
    await database_sync_to_async(new_chat)(question="Next one")
    for console in (other, holder):
        frame = await console.receive_json_from()
        while frame["type"] == "presence":
            frame = await console.receive_json_from()
        assert frame["type"] == "chat.created", frame
    # Ben may not call for a supervisor on Ana's chat.
    refused = await answer_to(other, {"type": "chat.alert_supervisor", "chat_id": chat.pk})
    assert refused["code"] == "not_yours"
    await close(holder, other, first, second)


@pytest.mark.engines
async def test_a_watcher_of_a_waiting_chat_gets_the_staff_claim_and_not_the_patron_s(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    def setup() -> tuple[Librarian, Librarian, Chat, str]:
        ana = make_librarian("ana")
        dee = make_librarian("dee", role="supervisor", display_name="Dee")
        chat, token = new_chat()
        return ana, dee, chat, token

    ana, dee, chat, token = await database_sync_to_async(setup)()
    holder, _ = await open_staff(ana)
    watcher, _ = await open_staff(dee)
    patron, _ = await open_patron(token)
    watched = await answer_to(watcher, {"type": "chat.watch", "chat_id": chat.pk})
    assert watched["chat"]["state"] == "waiting"
    claimed = await answer_to(holder, {"type": "chat.claim", "chat_id": chat.pk})
    assert claimed["type"] == "ack"
    # The patron gets their form of the claim; the watcher only the staff form, once.
    assert (await receive_until(patron, "chat.claimed")) == {
        "type": "chat.claimed",
        "chat_id": chat.pk,
        "by": "Ana",
    }
    sent = await answer_to(patron, {"type": "message.send", "client_id": "p1", "body": "Hi"})
    frames = []
    frame = await watcher.receive_json_from()
    while frame["type"] != "message":
        frames.append(frame)
        frame = await watcher.receive_json_from()
    assert frame == sent["message"]
    assert [item["type"] for item in frames if item["type"] != "presence"] == ["chat.claimed"]
    assert (frames[0]["chat_id"], frames[0]["by_id"], "event_id" in frames[0]) == (
        chat.pk,
        ana.pk,
        True,
    )
    await close(holder, watcher, patron)
