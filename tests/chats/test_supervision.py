"""Supervision's actions: internal notes, a supervisor joining a chat, and the call for a
supervisor; the exact rows and the exact events, with their groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from refdesk.accounts.actions import do_update_librarian
from refdesk.accounts.models import ConsoleConnection, Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, ChatNote, Message
from refdesk.core.errors import ActionError
from tests.support import ANY, assert_events_exactly, capture_events, presence_event

pytestmark = pytest.mark.django_db(transaction=True)

NewChat = Callable[..., tuple[Chat, str]]


@pytest.fixture
def desk(make_librarian: Callable[..., Librarian], new_chat: NewChat) -> dict[str, Any]:
    """Ana holds an active chat; Ben is another librarian; Dee a supervisor."""
    ana = make_librarian("ana")
    ben = make_librarian("ben", campus="south")
    dee = make_librarian("dee", role="supervisor", display_name="Dee Supervisor")
    chat, _token = new_chat()
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    return {"ana": ana, "ben": ben, "dee": dee, "chat": chat}


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(ActionError) as caught:
        call()
    return caught.value.code


def note_event(chat: Chat, author: Librarian, body: str) -> dict[str, Any]:
    return {
        "type": "note",
        "chat_id": chat.pk,
        "id": ANY,
        "author_id": author.pk,
        "author_name": author.display_name,
        "body": body,
        "created_at": ANY,
    }


# ---------------------------------------------------------------------------
# Internal notes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("author", ["ana", "dee"])
def test_a_note_goes_to_the_holder_and_the_watchers_and_never_to_the_patron(
    desk: dict[str, Any], author: str
) -> None:
    chat, ana, writer = desk["chat"], desk["ana"], desk[author]
    with capture_events() as events:
        stored = actions.check_add_chat_note(
            chat.pk, acting_librarian=writer, body="  Patron sounds upset.  ", client_id="n1"
        )
    expected = note_event(chat, writer, "Patron sounds upset.")
    assert_events_exactly(events, [((f"watch.{chat.pk}", f"librarian.{ana.pk}"), expected)])
    note = ChatNote.objects.get()
    assert (note.chat_id, note.author_id, note.author_name, note.body, note.client_id) == (
        chat.pk,
        writer.pk,
        writer.display_name,
        "Patron sounds upset.",
        "n1",
    )
    assert stored == {**expected, "id": note.pk}
    # Nothing of it is a message: the patron's transcript never holds it.
    assert not Message.objects.filter(chat=chat, body__contains="upset").exists()


def test_a_resent_note_is_stored_once_and_sent_once(desk: dict[str, Any]) -> None:
    chat, ana = desk["chat"], desk["ana"]
    first = actions.check_add_chat_note(chat.pk, acting_librarian=ana, body="One", client_id="x")
    with capture_events() as events:
        again = actions.check_add_chat_note(
            chat.pk, acting_librarian=ana, body="One", client_id="x"
        )
    assert again == first
    assert events == []
    assert ChatNote.objects.count() == 1


def test_a_librarian_who_does_not_hold_the_chat_may_not_add_a_note(desk: dict[str, Any]) -> None:
    chat, ben = desk["chat"], desk["ben"]
    with capture_events() as events:
        code = refusal(
            lambda: actions.check_add_chat_note(
                chat.pk, acting_librarian=ben, body="Hi", client_id=""
            )
        )
    assert code == "not_yours"
    assert events == []
    assert not ChatNote.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("x" * 4001, "too_long"),
        (None, "invalid"),
        (42, "invalid"),
        (["a"], "invalid"),
        ("", "invalid"),
        ("\u200b\u200d \u2060", "invalid"),
    ],
)
def test_a_bad_note_is_refused_and_nothing_is_stored(
    desk: dict[str, Any], body: object, code: str
) -> None:
    chat, ana = desk["chat"], desk["ana"]
    with capture_events() as events:
        assert (
            refusal(
                lambda: actions.check_add_chat_note(
                    chat.pk, acting_librarian=ana, body=body, client_id=""
                )
            )
            == code
        )
    assert events == []
    assert not ChatNote.objects.exists()


def test_a_note_is_plain_text_kept_as_written_without_direction_overrides(
    desk: dict[str, Any],
) -> None:
    chat, ana = desk["chat"], desk["ana"]
    body = "<script>alert(1)</script> '; DROP TABLE chats_chatnote; --\u202e gnp.exe"
    stored = actions.check_add_chat_note(chat.pk, acting_librarian=ana, body=body, client_id="")
    assert stored["body"] == "<script>alert(1)</script> '; DROP TABLE chats_chatnote; -- gnp.exe"
    assert ChatNote.objects.get().body == stored["body"]


def test_a_note_on_an_ended_chat_is_refused(desk: dict[str, Any]) -> None:
    chat, dee = desk["chat"], desk["dee"]
    actions.do_end_chat(chat, reason="closed")
    assert (
        refusal(
            lambda: actions.check_add_chat_note(
                chat.pk, acting_librarian=dee, body="Late", client_id=""
            )
        )
        == "chat_ended"
    )


def test_the_retention_purge_deletes_the_notes_with_the_chat_s_text(desk: dict[str, Any]) -> None:
    chat, ana = desk["chat"], desk["ana"]
    actions.check_add_chat_note(chat.pk, acting_librarian=ana, body="Private", client_id="")
    actions.do_end_chat(chat, reason="closed")
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - dt.timedelta(days=400))
    assert actions.do_purge_expired_chats().chats == 1
    assert not ChatNote.objects.exists()


# ---------------------------------------------------------------------------
# Joining
# ---------------------------------------------------------------------------


def line(chat: Chat, seq: int, body: str) -> dict[str, Any]:
    return {
        "type": "message",
        "chat_id": chat.pk,
        "seq": seq,
        "sender": "system",
        "sender_name": "",
        "body": body,
        "client_id": "",
        "sent_at": ANY,
    }


def test_a_supervisor_joins_writes_to_the_patron_and_leaves(desk: dict[str, Any]) -> None:
    chat, ana, dee = desk["chat"], desk["ana"], desk["dee"]
    groups = (f"chat.{chat.pk}", f"librarian.{ana.pk}")
    seq = Chat.objects.get(pk=chat.pk).last_seq
    with capture_events() as events:
        actions.do_join_chat(chat.pk, acting_librarian=dee)
    assert_events_exactly(events, [(groups, line(chat, seq + 1, "Dee Supervisor joined"))])
    chat.refresh_from_db()
    assert (chat.joined_id, chat.librarian_id) == (dee.pk, ana.pk)
    joined = ChatEvent.objects.get(type="chat.joined")
    assert (joined.actor_id, joined.data) == (
        dee.pk,
        {"chat_id": chat.pk, "by": "Dee Supervisor", "by_id": dee.pk},
    )

    with capture_events() as events:
        sent = actions.check_send_librarian_message(
            chat.pk, acting_librarian=dee, client_id="d1", body="I'm here to help too."
        )
    assert sent["sender"] == "librarian"
    assert sent["sender_name"] == "Dee Supervisor"
    assert_events_exactly(events, [(groups, dict(sent))])
    assert Message.objects.get(chat=chat, seq=seq + 2).librarian_id == dee.pk

    assert refusal(lambda: actions.do_join_chat(chat.pk, acting_librarian=dee)) == "already_joined"

    with capture_events() as events:
        actions.do_leave_joined_chat(chat.pk, acting_librarian=dee)
    assert_events_exactly(events, [(groups, line(chat, seq + 3, "Dee Supervisor left"))])
    assert ChatEvent.objects.filter(type="chat.join_left", actor=dee).count() == 1
    assert (
        refusal(
            lambda: actions.check_send_librarian_message(
                chat.pk, acting_librarian=dee, client_id="d2", body="Still here?"
            )
        )
        == "not_yours"
    )
    assert refusal(lambda: actions.do_leave_joined_chat(chat.pk, acting_librarian=dee)) == (
        "not_joined"
    )


def change_role(librarian: Librarian, role: str, *, active: bool = True) -> bool:
    fresh = Librarian.objects.select_related("user", "home_campus").get(pk=librarian.pk)
    return do_update_librarian(
        fresh,
        display_name=fresh.display_name,
        email=fresh.user.email,
        campus=fresh.home_campus,
        role=role,
        active=active,
    )


def test_a_joined_supervisor_made_a_librarian_leaves_the_chat_at_once(
    desk: dict[str, Any], new_chat: NewChat
) -> None:
    chat, ana, ben, dee = desk["chat"], desk["ana"], desk["ben"], desk["dee"]
    other, _ = new_chat(question="Second")
    actions.do_claim_chat(other.pk, acting_librarian=ben)
    actions.do_join_chat(chat.pk, acting_librarian=dee)
    actions.do_join_chat(other.pk, acting_librarian=dee)
    seqs = {c.pk: c.last_seq for c in Chat.objects.filter(pk__in=[chat.pk, other.pk])}

    with capture_events() as events:
        assert change_role(dee, "librarian")
    assert_events_exactly(
        events,
        [
            (
                (f"chat.{chat.pk}", f"librarian.{ana.pk}"),
                line(chat, seqs[chat.pk] + 1, "Dee Supervisor left"),
            ),
            (
                (f"chat.{other.pk}", f"librarian.{ben.pk}"),
                line(other, seqs[other.pk] + 1, "Dee Supervisor left"),
            ),
        ],
    )
    assert not Chat.objects.filter(joined__isnull=False).exists()
    left = ChatEvent.objects.filter(type="chat.join_left").order_by("pk")
    assert [(e.chat_id, e.actor_id, e.data) for e in left] == [
        (c.pk, dee.pk, {"chat_id": c.pk, "by": "Dee Supervisor", "by_id": dee.pk, "reason": "role"})
        for c in (chat, other)
    ]
    # The former supervisor's lines are refused from now on.
    assert (
        refusal(
            lambda: actions.check_send_librarian_message(
                chat.pk, acting_librarian=dee, client_id="d9", body="Still here?"
            )
        )
        == "not_yours"
    )
    assert not Message.objects.filter(chat=chat, client_id="d9").exists()


def test_a_supervisor_made_an_admin_or_a_librarian_who_joined_nothing_changes_no_chat(
    desk: dict[str, Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, dee = desk["chat"], desk["dee"]
    actions.do_join_chat(chat.pk, acting_librarian=dee)
    with capture_events() as events:
        assert change_role(dee, "admin")
    assert_events_exactly(events, [])
    assert Chat.objects.get(pk=chat.pk).joined_id == dee.pk
    root = make_librarian("root", role="admin")
    with capture_events() as events:
        assert change_role(root, "librarian")
    assert_events_exactly(events, [])
    assert not ChatEvent.objects.filter(type="chat.join_left").exists()


def test_a_joined_supervisor_deactivated_leaves_the_chat(desk: dict[str, Any]) -> None:
    chat, dee = desk["chat"], desk["dee"]
    actions.do_join_chat(chat.pk, acting_librarian=dee)
    change_role(dee, "supervisor", active=False)
    assert Chat.objects.get(pk=chat.pk).joined_id is None
    assert list(Message.objects.filter(chat=chat).values_list("body", flat=True))[-1] == (
        "Dee Supervisor left"
    )


def test_a_waiting_or_own_chat_cannot_be_joined(desk: dict[str, Any], new_chat: NewChat) -> None:
    dee = desk["dee"]
    waiting, _ = new_chat(question="Anyone?")
    assert refusal(lambda: actions.do_join_chat(waiting.pk, acting_librarian=dee)) == "invalid"
    mine, _ = new_chat(question="Mine")
    actions.do_claim_chat(mine.pk, acting_librarian=dee)
    assert refusal(lambda: actions.do_join_chat(mine.pk, acting_librarian=dee)) == "invalid"
    assert refusal(lambda: actions.do_join_chat(10**9, acting_librarian=dee)) == "not_found"
    assert not Chat.objects.filter(joined__isnull=False).exists()


def test_a_second_supervisor_cannot_join_a_chat_someone_joined(
    desk: dict[str, Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, dee = desk["chat"], desk["dee"]
    root = make_librarian("root", role="admin")
    actions.do_join_chat(chat.pk, acting_librarian=dee)
    assert refusal(lambda: actions.do_join_chat(chat.pk, acting_librarian=root)) == (
        "already_joined"
    )
    assert Message.objects.filter(chat=chat, body__endswith="joined").count() == 1


# ---------------------------------------------------------------------------
# Alert a supervisor
# ---------------------------------------------------------------------------


def at_desk(librarian: Librarian, channel: str) -> None:
    now = timezone.now()
    ConsoleConnection.objects.create(
        librarian=librarian, channel_name=channel, process="t", connected_at=now, seen_at=now
    )


def test_the_holder_alerts_every_supervisor_and_learns_how_many_are_there(
    desk: dict[str, Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, ana, ben, dee = desk["chat"], desk["ana"], desk["ben"], desk["dee"]
    root = make_librarian("root", role="admin")
    at_desk(dee, "c1")
    at_desk(dee, "c2")
    at_desk(root, "c3")
    at_desk(ben, "c4")
    with capture_events() as events:
        online = actions.check_alert_supervisor(
            chat.pk, acting_librarian=ana, note="  Patron mentions  self-harm. "
        )
    assert online == 2
    assert_events_exactly(
        events,
        [
            (
                "supervisors",
                {
                    "type": "alert",
                    "kind": "supervisor",
                    "chat_id": chat.pk,
                    "campus": "north",
                    "from_librarian_id": ana.pk,
                    "from_name": "Ana",
                    "note": "Patron mentions self-harm.",
                    "at": ANY,
                },
            )
        ],
    )
    recorded = ChatEvent.objects.get(type="chat.supervisor_alerted")
    assert (recorded.actor_id, recorded.data["note"]) == (ana.pk, "Patron mentions self-harm.")


def test_nobody_there_is_counted_as_zero(desk: dict[str, Any]) -> None:
    assert (
        actions.check_alert_supervisor(desk["chat"].pk, acting_librarian=desk["ana"], note=None)
        == 0
    )


def test_only_the_holder_alerts_for_an_active_chat_and_anyone_for_a_waiting_one(
    desk: dict[str, Any], new_chat: NewChat
) -> None:
    chat, ben = desk["chat"], desk["ben"]
    with capture_events() as events:
        code = refusal(
            lambda: actions.check_alert_supervisor(chat.pk, acting_librarian=ben, note="")
        )
    assert (code, events) == ("not_yours", [])
    waiting, _ = new_chat(question="Help")
    with capture_events() as events:
        actions.check_alert_supervisor(waiting.pk, acting_librarian=ben, note="")
    assert [groups for groups, _event in events] == [("supervisors",)]
    long_note = "x" * 501
    assert (
        refusal(
            lambda: actions.check_alert_supervisor(waiting.pk, acting_librarian=ben, note=long_note)
        )
        == "too_long"
    )
    assert refusal(
        lambda: actions.check_alert_supervisor(waiting.pk, acting_librarian=ben, note=5)
    ) == ("invalid")
    actions.do_end_chat(chat, reason="closed")
    assert (
        refusal(
            lambda: actions.check_alert_supervisor(chat.pk, acting_librarian=desk["ana"], note="")
        )
        == "chat_ended"
    )
    assert ChatEvent.objects.filter(type="chat.supervisor_alerted").count() == 1


# ---------------------------------------------------------------------------
# What a watching console leaves out
# ---------------------------------------------------------------------------


def test_what_the_chat_s_group_carries_for_the_patron_alone_is_marked_so(
    desk: dict[str, Any],
) -> None:
    """A watching console sits in the chat's group: the layer meta tells it what is the
    patron's (and the lines, which it shows, carry no mark)."""
    chat, ana = desk["chat"], desk["ana"]
    with capture_events() as events:
        actions.check_ask_email(chat.pk, acting_librarian=ana)
    assert_events_exactly(
        events,
        [
            (
                f"chat.{chat.pk}",
                {"type": "email.requested", "chat_id": chat.pk},
                {"patron_only": True},
            )
        ],
    )
    seq = Chat.objects.get(pk=chat.pk).last_seq
    with capture_events() as events:
        actions.do_end_chat(Chat.objects.get(pk=chat.pk), reason="closed")
    assert_events_exactly(
        events,
        [
            (
                (f"chat.{chat.pk}", f"librarian.{ana.pk}"),
                line(chat, seq + 1, "The librarian ended the chat."),
                None,
            ),
            (
                "staff",
                {
                    "type": "chat.ended",
                    "event_id": ANY,
                    "chat_id": chat.pk,
                    "reason": "closed",
                    "chat": ANY,
                },
                None,
            ),
            (
                f"chat.{chat.pk}",
                {"type": "chat.ended", "chat_id": chat.pk, "reason": "closed"},
                {"patron_only": True},
            ),
            (*presence_event(ana, active_chats=0), None),
        ],
    )
