"""Recording the patron's name and email from the console (``chat.patron``), the closing
line that is not sent twice, and each waiting patron's place in the queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.chats import actions, jobs
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import chat_summary, get_chat_for_staff, patron_chat_view
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from tests.support import answer_to, assert_events_exactly, capture_events, close, open_staff

pytestmark = pytest.mark.django_db(transaction=True)

CLOSING = "I hope that helps. Have a great day!"


def summary(chat_id: int) -> dict[str, Any]:
    chat = get_chat_for_staff(chat_id)
    assert chat is not None
    return dict(chat_summary(chat))


@pytest.fixture
def held(new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]) -> Any:
    """A chat with no name given, claimed by Ana."""
    chat, _token = new_chat(name="")
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    return chat, ana


def test_recording_the_name_and_email_stores_them_and_tells_every_console(held: Any) -> None:
    chat, ana = held
    with capture_events() as events:
        fresh = actions.check_set_patron_details(
            chat.pk, acting_librarian=ana, name="  Sam   Lee ", email="sam@example.edu"
        )
    assert (fresh.patron_name, fresh.patron_email) == ("Sam Lee", "sam@example.edu")
    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.patron_name, stored.patron_email) == ("Sam Lee", "sam@example.edu")
    row = ChatEvent.objects.get(chat=chat, type="chat.updated")
    assert row.actor == ana
    assert row.data == {"chat": summary(chat.pk), "fields": ["patron_email", "patron_name"]}
    assert_events_exactly(
        events,
        [
            (STAFF_GROUP, {"type": "chat.updated", "chat": summary(chat.pk)}),
        ],
    )


def test_the_patrons_next_line_carries_the_recorded_name(held: Any) -> None:
    chat, ana = held
    actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="Sam")
    line = actions.check_send_patron_message(chat, client_id="p1", body="Thanks!")
    assert line["sender_name"] == "Sam"


def test_an_absent_field_is_kept_and_an_empty_one_forgets(held: Any) -> None:
    chat, ana = held
    actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="Sam", email="s@x.org")
    actions.check_set_patron_details(chat.pk, acting_librarian=ana, email="")
    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.patron_name, stored.patron_email) == ("Sam", "")


def test_the_same_details_again_change_nothing_and_send_nothing(held: Any) -> None:
    chat, ana = held
    actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="Sam")
    with capture_events() as events:
        actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="Sam")
    assert events == []
    assert ChatEvent.objects.filter(chat=chat, type="chat.updated").count() == 1


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({}, "invalid", "name"),
        ({"name": "<script>alert(1)</script>"}, "invalid", "name"),
        ({"name": "Sam <b>Lee</b>"}, "invalid", "name"),
        ({"name": "see https://evil.example"}, "invalid", "name"),
        ({"name": "JavaScript:alert(1)"}, "invalid", "name"),
        ({"name": "x" * 121}, "too_long", "name"),
        ({"name": 42}, "invalid", "name"),
        ({"name": ["Sam"]}, "invalid", "name"),
        ({"email": "not an address"}, "invalid", "email"),
        ({"email": "sam@example.edu<script>"}, "invalid", "email"),
        ({"email": '"sam"@example.edu'}, "invalid", "email"),
        ({"email": "a@b.co" + "m" * 260}, "too_long", "email"),
        ({"name": "Sam", "email": "nope"}, "invalid", "email"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_stored(
    held: Any, fields: dict[str, Any], code: str, field: str
) -> None:
    chat, ana = held
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.check_set_patron_details(chat.pk, acting_librarian=ana, **fields)
    assert (caught.value.code, caught.value.extra.get("field")) == (code, field)
    assert events == []
    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.patron_name, stored.patron_email) == ("", "")
    assert not ChatEvent.objects.filter(type="chat.updated").exists()


def test_unicode_oddities_are_cleaned_from_a_name(held: Any) -> None:
    chat, ana = held
    # A right-to-left override, a NUL, zero-width spaces and a decomposed accent.
    fresh = actions.check_set_patron_details(
        chat.pk, acting_librarian=ana, name="\u202eRe\u0000ne\u0301e\u200b\u200b"
    )
    assert "\u202e" not in fresh.patron_name
    assert "\x00" not in fresh.patron_name
    assert fresh.patron_name.startswith("Ren\u00e9e")
    blank = actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="\u200b \u200b")
    assert blank.patron_name == ""


def test_only_the_holder_or_a_supervisor_may_record_details(
    held: Any, make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ana = held
    ben = make_librarian("ben", campus="south")
    with pytest.raises(ActionError) as caught:
        actions.check_set_patron_details(chat.pk, acting_librarian=ben, name="Sam")
    assert caught.value.code == "not_yours"
    boss = make_librarian("cai", role="supervisor")
    actions.check_set_patron_details(chat.pk, acting_librarian=boss, name="Sam")
    assert Chat.objects.get(pk=chat.pk).patron_name == "Sam"


def test_an_ended_chat_keeps_its_details(held: Any) -> None:
    chat, ana = held
    actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana)
    with pytest.raises(ActionError) as caught:
        actions.check_set_patron_details(chat.pk, acting_librarian=ana, name="Sam")
    assert caught.value.code == "chat_ended"
    assert Chat.objects.get(pk=chat.pk).patron_name == ""


def test_a_holder_whose_chat_changed_hands_meanwhile_is_refused(
    held: Any, make_librarian: Callable[..., Librarian]
) -> None:
    chat, ana = held
    ben = make_librarian("ben", campus="south")
    checked = get_chat_for_staff(chat.pk)
    assert checked is not None
    # Between the check and the write, the chat became Ben's.
    Chat.objects.filter(pk=chat.pk).update(librarian=ben)
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.do_set_patron_details(checked, acting_librarian=ana, name="Sam", holder=ana.pk)
    assert caught.value.code == "not_yours"
    assert events == []
    assert Chat.objects.get(pk=chat.pk).patron_name == ""


async def test_the_frame_records_details_through_the_socket_and_other_consoles_hear_it(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., Any]
) -> None:
    make = database_sync_to_async(make_librarian)
    ana, ben = await make("ana"), await make("ben", campus="south")
    chat, _token = await database_sync_to_async(new_chat)(name="")
    await database_sync_to_async(actions.do_claim_chat)(chat.pk, acting_librarian=ana)
    mine, _ = await open_staff(ana)
    other, _ = await open_staff(ben)
    try:
        refused = await answer_to(
            mine, {"type": "chat.patron", "chat_id": chat.pk, "name": "<img src=x onerror=1>"}
        )
        assert (refused["type"], refused["code"], refused["field"]) == ("error", "invalid", "name")
        ack = await answer_to(
            mine, {"type": "chat.patron", "chat_id": chat.pk, "name": "Sam", "email": None}
        )
        assert ack["chat"]["patron_name"] == "Sam"
        while (frame := await other.receive_json_from(timeout=5))["type"] != "chat.updated":
            pass
        assert frame["chat"] == ack["chat"]
        not_theirs = await answer_to(
            other, {"type": "chat.patron", "chat_id": chat.pk, "name": "X"}
        )
        assert not_theirs["code"] == "not_yours"
        missing = await answer_to(mine, {"type": "chat.patron", "name": "Sam"})
        assert missing["code"] == "invalid"
    finally:
        await close(mine)
        await close(other)


# ---------------------------------------------------------------------------
# The closing line
# ---------------------------------------------------------------------------


def test_a_closing_line_the_librarian_already_sent_is_not_sent_again(held: Any) -> None:
    chat, ana = held
    actions.check_send_librarian_message(chat.pk, acting_librarian=ana, client_id="c", body=CLOSING)
    with capture_events() as events:
        actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana, closing=CLOSING)
    bodies = list(Message.objects.filter(chat=chat).values_list("sender", "body"))
    assert bodies[1:] == [("librarian", CLOSING), ("system", "The librarian ended the chat.")]
    # The line, the end to both sides, and Ana's presence with one chat fewer.
    assert [event["type"] for _groups, event in events] == [
        "message",
        "chat.ended",
        "chat.ended",
        "presence",
    ]


def test_a_closing_line_said_earlier_in_the_chat_is_sent_at_the_end(held: Any) -> None:
    chat, ana = held
    actions.check_send_librarian_message(chat.pk, acting_librarian=ana, client_id="c", body=CLOSING)
    actions.check_send_patron_message(chat, client_id="p", body="One more thing?")
    actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana, closing=CLOSING)
    senders = list(Message.objects.filter(chat=chat).values_list("sender", flat=True))
    assert senders[-2:] == ["librarian", "system"]
    assert Message.objects.filter(chat=chat, body=CLOSING).count() == 2


# ---------------------------------------------------------------------------
# The patron's place in the queue
# ---------------------------------------------------------------------------


def test_a_waiting_patron_sees_their_place_and_hears_when_it_moves(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    first, _ = new_chat()
    second, _ = new_chat()
    third, _ = new_chat()
    elsewhere, _ = new_chat("south")
    assert [patron_chat_view(c)["queue_position"] for c in (first, second, third)] == [1, 2, 3]
    assert patron_chat_view(elsewhere)["queue_position"] == 1
    before = ChatEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    actions.do_claim_chat(first.pk, acting_librarian=make_librarian("ana"))
    assert patron_chat_view(Chat.objects.get(pk=first.pk))["queue_position"] is None
    with capture_events() as events:
        newest = actions.do_publish_queue_positions(after_event=before)
    assert newest == ChatEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    # Only the queue that moved (north), each waiting patron once; south hears nothing.
    assert_events_exactly(
        events,
        [
            (f"chat.{second.pk}", {"type": "queue.position", "chat_id": second.pk, "position": 1}),
            (f"chat.{third.pk}", {"type": "queue.position", "chat_id": third.pk, "position": 2}),
        ],
    )
    with capture_events() as again:
        assert actions.do_publish_queue_positions(after_event=newest) == newest
    assert again == []


def test_a_new_chat_moves_nobody_and_tells_nobody(new_chat: Callable[..., Any]) -> None:
    new_chat()
    before = ChatEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    new_chat()
    with capture_events() as events:
        actions.do_publish_queue_positions(after_event=before)
    assert events == []


def test_the_job_starts_from_now_then_tells_each_move_once(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    first, _ = new_chat()
    second, _ = new_chat()
    jobs._positions_cursor = None
    with capture_events() as events:
        jobs.publish_queue_positions()  # a fresh process: from now on
        actions.do_claim_chat(first.pk, acting_librarian=make_librarian("ana"))
        jobs.publish_queue_positions()
        jobs.publish_queue_positions()
    assert [event for _groups, event in events if event["type"] == "queue.position"] == [
        {"type": "queue.position", "chat_id": second.pk, "position": 1}
    ]
