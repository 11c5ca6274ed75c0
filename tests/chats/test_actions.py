"""The chat actions: the one writer of chats, messages and chat events."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, ChatState, Message
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_by_token,
    get_chat_for_staff,
    message_payload,
)
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from refdesk.intake.actions import clean_name_and_question
from tests.support import assert_events_exactly, capture_events, presence_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_creating_a_chat_stores_the_question_as_the_first_message_and_tells_staff(
    online: Librarian,
) -> None:
    with capture_events() as events:
        chat, token = actions.check_create_chat(
            campus_slug="north",
            name="Sam",
            email="sam@example.edu",
            question="Do you have APA guides?",
            page_url="https://lib.example.edu/north?q=secret#x",
            user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile",
            address="203.0.113.9",
        )
    assert chat.state == ChatState.WAITING
    assert get_chat_by_token(token) == chat
    assert token not in chat.token_hash
    assert chat.page_url == "https://lib.example.edu/north"
    assert chat.ip_hash and "203.0.113.9" not in chat.ip_hash
    # Only the summary of the user-agent is kept, never the string itself.
    assert chat.browser == "Chrome 120 on Android"
    assert "Mozilla" not in str(Chat.objects.filter(pk=chat.pk).values().get())
    assert list(chat.messages.values_list("seq", "sender", "body")) == [
        (1, "patron", "Do you have APA guides?")
    ]
    # Staff hear of it once, with the page and the browser's summary but not its string.
    assert_events_exactly(
        events,
        [
            (
                STAFF_GROUP,
                {
                    "type": "chat.created",
                    "event_id": ChatEvent.objects.get(type="chat.created").pk,
                    "chat": {
                        "id": chat.pk,
                        "state": "waiting",
                        "end_reason": None,
                        "campus": "north",
                        "campus_name": "North Campus Library",
                        "campus_colour": "#1f4e79",
                        "patron_name": "Sam",
                        "patron_email": "sam@example.edu",
                        "question": "Do you have APA guides?",
                        "name_was_question": False,
                        "page_url": "https://lib.example.edu/north",
                        "browser": "Chrome 120 on Android",
                        "created_at": chat.created_at.isoformat(),
                        "claimed_at": None,
                        "ended_at": None,
                        "claimed_by": None,
                        "claimed_by_id": None,
                        "last_seq": 1,
                        "patron_gone_at": None,
                        "waiting_since": chat.created_at.isoformat(),
                        "home_until": (chat.created_at + dt.timedelta(seconds=20)).isoformat(),
                        "home_ended_at": None,
                        "ticket_offer_at": (chat.created_at + dt.timedelta(seconds=60)).isoformat(),
                        "offer_to_id": None,
                        "offer_expires_at": None,
                        "patron_waiting_since": None,
                        "patron_silent_since": None,
                        "silent_asked_at": None,
                    },
                },
            )
        ],
    )
    # The timers are stored on the row, from the settings' 20 s and 60 s.
    assert (chat.waiting_since, chat.home_until, chat.ticket_offer_at) == (
        chat.created_at,
        chat.created_at + dt.timedelta(seconds=20),
        chat.created_at + dt.timedelta(seconds=60),
    )
    assert (chat.home_ended_at, chat.ticket_offered_at) == (None, None)


def staff_view(chat_id: int) -> dict[str, Any]:
    """The chat as the console sees it now (``chat_summary`` of the stored row)."""
    chat = get_chat_for_staff(chat_id)
    assert chat is not None
    return chat_summary(chat)


def broadcast_of(chat_id: int, seq: int) -> dict[str, Any]:
    """The ``message`` event of a stored message: what a reconnecting client reads too."""
    return message_payload(Message.objects.get(chat_id=chat_id, seq=seq))


def test_a_question_in_the_name_box_becomes_the_question_and_leaves_the_name_empty(
    online: Librarian,
) -> None:
    chat, _ = actions.check_create_chat(
        campus_slug="north", name="what time do you close today", email="", question=""
    )
    assert chat.patron_name == ""
    assert chat.question == "what time do you close today"
    assert chat.name_was_question is True


def test_a_real_name_passes_untouched(online: Librarian) -> None:
    chat, _ = actions.check_create_chat(
        campus_slug="north", name="Nguyễn Thị Minh Khai", email="", question="Hours?"
    )
    assert chat.patron_name == "Nguyễn Thị Minh Khai"
    assert chat.name_was_question is False


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"campus_slug": "atlantis"}, "unknown_campus"),
        ({"campus_slug": None}, "unknown_campus"),
        ({"question": "   "}, "invalid"),
        ({"question": "x" * 4001}, "too_long"),
        ({"question": ["not", "text"]}, "invalid"),
        ({"email": "not-an-email"}, "invalid"),
        ({"name": "N" * 500}, "too_long"),
    ],
)
def test_bad_pre_chat_forms_are_refused_and_store_nothing(
    online: Librarian, fields: dict[str, Any], code: str
) -> None:
    form: dict[str, Any] = {"campus_slug": "north", "name": "Sam", "email": "", "question": "Hi"}
    form.update(fields)
    with pytest.raises(ActionError) as caught:
        actions.check_create_chat(**form)
    assert caught.value.code == code
    assert Chat.objects.count() == 0
    assert Message.objects.count() == 0


def test_with_nobody_online_a_chat_is_refused_as_offline_with_the_hours(
    make_campus: Callable[..., Any],
) -> None:
    make_campus("north")
    with pytest.raises(ActionError) as caught:
        actions.check_create_chat(campus_slug="north", name="", email="", question="Hello?")
    assert caught.value.code == "offline"
    assert caught.value.status == 409
    assert "hours_today" in caught.value.extra
    assert Chat.objects.count() == 0


def test_html_and_control_characters_are_stored_as_plain_text(
    online: Librarian,
) -> None:
    chat, _ = actions.check_create_chat(
        campus_slug="north",
        name="<b>Sam</b>",
        email="",
        question="<script>alert(1)</script>\x00\x07 hello\u202e",
    )
    assert chat.patron_name == "<b>Sam</b>"
    assert chat.question == "<script>alert(1)</script> hello"


def test_claim_makes_the_chat_active_and_tells_staff_and_patron(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    with capture_events() as events:
        claimed = actions.do_claim_chat(chat.pk, acting_librarian=ana)
    assert claimed.state == ChatState.ACTIVE
    assert claimed.librarian == ana
    summary = staff_view(chat.pk)
    assert (summary["state"], summary["claimed_by"]) == ("active", "Ana")
    assert_events_exactly(
        events,
        [
            (
                STAFF_GROUP,
                {
                    "type": "chat.claimed",
                    "event_id": ChatEvent.objects.get(chat=chat, type="chat.claimed").pk,
                    "chat_id": chat.pk,
                    "by": "Ana",
                    "by_id": ana.pk,
                    "chat": summary,
                },
            ),
            # The patron learns the name only; the patron's sockets learn who holds the
            # chat from the meta, which is never sent to the socket.
            (
                f"chat.{chat.pk}",
                {"type": "chat.claimed", "chat_id": chat.pk, "by": "Ana"},
                {"librarian_id": ana.pk, "patron_only": True},
            ),
            # Every console sees that Ana holds one more chat (she has no console: offline).
            presence_event(ana, active_chats=1),
        ],
    )


def test_claim_when_already_claimed_reports_who_has_it(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana, ben = make_librarian("ana"), make_librarian("ben", campus="south")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.do_claim_chat(chat.pk, acting_librarian=ben)
    assert_events_exactly(events, [])
    assert caught.value.code == "already_claimed"
    assert caught.value.extra["by"] == "Ana"
    assert Chat.objects.get(pk=chat.pk).librarian == ana
    assert ChatEvent.objects.filter(type="chat.claimed").count() == 1


def fire_claims(chat_id: int, librarians: list[Librarian]) -> list[str]:
    """Claim one chat from as many threads (each its own database connection) at once."""
    barrier = threading.Barrier(len(librarians))
    results: list[str] = []
    lock = threading.Lock()

    def claim(librarian: Librarian) -> None:
        try:
            barrier.wait()
            try:
                actions.do_claim_chat(chat_id, acting_librarian=librarian)
                outcome = "won"
            except ActionError as exc:
                outcome = f"{exc.code}:{exc.extra.get('by')}"
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(lib,)) for lib in librarians]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.engines
def test_fifty_concurrent_claims_have_exactly_one_winner(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    librarians = [make_librarian(f"lib{i:02d}", display_name=f"Lib {i:02d}") for i in range(50)]
    results = fire_claims(chat.pk, librarians)
    assert len(results) == 50
    assert results.count("won") == 1
    winner = Chat.objects.select_related("librarian").get(pk=chat.pk).librarian
    assert winner is not None
    assert results.count(f"already_claimed:{winner.display_name}") == 49
    assert ChatEvent.objects.filter(chat=chat, type="chat.claimed").count() == 1


def test_messages_get_consecutive_seqs_and_reach_the_right_groups(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events:
        first = actions.check_send_librarian_message(
            chat.pk, acting_librarian=ana, client_id="c1", body="Hi Sam, "
        )
        second = actions.check_send_patron_message(chat, client_id="p1", body="Thanks!")
    assert (first["seq"], second["seq"]) == (2, 3)
    both = (f"chat.{chat.pk}", f"librarian.{ana.pk}")
    assert_events_exactly(
        events,
        [
            (both, {**broadcast_of(chat.pk, 2), "sender_name": "Ana", "body": "Hi Sam,"}),
            (both, {**broadcast_of(chat.pk, 3), "sender_name": "Sam", "body": "Thanks!"}),
        ],
    )


@pytest.mark.engines
def test_a_resend_with_the_same_client_id_is_stored_once(new_chat: Callable[..., Any]) -> None:
    chat, _ = new_chat()
    with capture_events() as events:
        one = actions.check_send_patron_message(chat, client_id="same", body="Hello")
        two = actions.check_send_patron_message(chat, client_id="same", body="Hello")
    assert one == two
    assert Message.objects.filter(chat=chat, client_id="same").count() == 1
    # A waiting chat has nobody to tell but the patron, and the resend is not told again.
    assert_events_exactly(events, [(f"chat.{chat.pk}", broadcast_of(chat.pk, 2))])


@pytest.mark.engines
def test_concurrent_messages_never_share_a_seq(new_chat: Callable[..., Any]) -> None:
    chat, _ = new_chat()

    def send(i: int) -> None:
        try:
            actions.check_send_patron_message(chat, client_id=f"c{i}", body=f"m{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    seqs = sorted(Message.objects.filter(chat=chat).values_list("seq", flat=True))
    assert seqs == list(range(1, 22))


def test_a_librarian_cannot_answer_a_chat_they_do_not_hold(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ben = make_librarian("ben", campus="south")
    with pytest.raises(ActionError) as caught:
        actions.check_send_librarian_message(
            chat.pk, acting_librarian=ben, client_id="x", body="hi"
        )
    assert caught.value.code == "not_yours"
    assert Message.objects.filter(chat=chat).count() == 1


def test_a_message_over_the_limit_is_refused_whole(new_chat: Callable[..., Any]) -> None:
    chat, _ = new_chat()
    with pytest.raises(ActionError) as caught:
        actions.check_send_patron_message(chat, client_id="big", body="é" * 4001)
    assert caught.value.code == "too_long"
    assert Message.objects.filter(chat=chat).count() == 1


@pytest.mark.engines
def test_ending_sends_the_closing_line_then_ends_once(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events:
        ended = actions.check_end_chat_by_librarian(
            chat.pk, acting_librarian=ana, closing="I hope that helps. Have a great day!"
        )
    assert ended.state == ChatState.ENDED
    assert ended.end_reason == "closed"
    bodies = list(Message.objects.filter(chat=chat).values_list("sender", "body"))
    assert bodies[-2] == ("librarian", "I hope that helps. Have a great day!")
    assert bodies[-1] == ("system", "The librarian ended the chat.")
    both = (f"chat.{chat.pk}", f"librarian.{ana.pk}")
    assert_events_exactly(
        events,
        [
            (both, broadcast_of(chat.pk, 2)),
            (both, broadcast_of(chat.pk, 3)),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": ChatEvent.objects.get(chat=chat, type="chat.ended").pk,
                    "chat_id": chat.pk,
                    "reason": "closed",
                    "chat": staff_view(chat.pk),
                },
            ),
            (f"chat.{chat.pk}", {"type": "chat.ended", "chat_id": chat.pk, "reason": "closed"}),
            presence_event(ana, active_chats=0),
        ],
    )
    with capture_events() as again, pytest.raises(ActionError) as caught:
        actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana)
    assert caught.value.code == "chat_ended"
    assert_events_exactly(again, [])


def test_after_the_patron_leaves_nobody_can_send(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    actions.do_end_chat(chat, reason="patron_left")
    with pytest.raises(ActionError) as caught:
        actions.check_send_librarian_message(
            chat.pk, acting_librarian=ana, client_id="z", body="Are you there?"
        )
    assert caught.value.code == "chat_ended"
    assert Chat.objects.get(pk=chat.pk).end_reason == "patron_left"


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200b\u200c\u200d\u2060", " \ufeff\u00ad ", "\u3164\u2800", "\u034f\n\u200b"],
)
def test_a_message_of_only_zero_width_characters_is_refused_and_not_stored(
    new_chat: Callable[..., Any], invisible: str
) -> None:
    chat, _token = new_chat()
    with pytest.raises(ActionError) as refused:
        actions.check_send_patron_message(chat, client_id="z1", body=invisible)
    assert (refused.value.code, refused.value.extra) == ("invalid", {"field": "message"})
    assert Message.objects.filter(chat=chat).count() == 1
    with pytest.raises(ActionError) as asked:
        clean_name_and_question("Sam", invisible)
    assert asked.value.extra == {"field": "question"}
    # Zero-width joiners inside real text are kept: they join emoji and some scripts.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert actions.check_send_patron_message(chat, client_id="z2", body=family)["body"] == family


def test_the_old_holder_is_refused_when_the_chat_changes_hands_between_check_and_end(
    new_chat: Callable[..., Any],
    make_librarian: Callable[..., Librarian],
    monkeypatch: pytest.MonkeyPatch,
    sent_events: list[Any],
) -> None:
    ana = make_librarian("ana")
    ben = make_librarian("ben", campus="south")
    chat, _token = new_chat()
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    checked = actions.access_chat

    def check_then_hand_over(librarian: Librarian, chat_id: int, *, for_: str) -> Chat:
        seen = checked(librarian, chat_id, for_=for_)  # type: ignore[arg-type]
        # The chat moves to Ben after Ana's check saw it as hers (a transfer, say).
        Chat.objects.filter(pk=chat_id).update(librarian=ben)
        return seen

    monkeypatch.setattr(actions, "access_chat", check_then_hand_over)
    sent_events.clear()
    with pytest.raises(ActionError) as refused:
        actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana)
    assert (refused.value.code, refused.value.extra) == ("not_yours", {"chat_id": chat.pk})
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.state, fresh.librarian_id, fresh.end_reason) == ("active", ben.pk, "")
    assert not ChatEvent.objects.filter(chat=chat, type="chat.ended").exists()
    assert sent_events == []
