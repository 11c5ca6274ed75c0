"""The chat actions: the one writer of chats, messages and chat events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, ChatState, Message
from refdesk.chats.selectors import get_chat_by_token
from refdesk.core.errors import ActionError
from refdesk.intake.actions import clean_name_and_question

pytestmark = pytest.mark.django_db(transaction=True)


def test_creating_a_chat_stores_the_question_as_the_first_message_and_tells_staff(
    online: Librarian, sent_events: list[Any]
) -> None:
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
    assert created_summary_browser(sent_events) == "Chrome 120 on Android"
    assert list(chat.messages.values_list("seq", "sender", "body")) == [
        (1, "patron", "Do you have APA guides?")
    ]
    created = [e for g, e in sent_events if e["type"] == "chat.created"]
    assert len(created) == 1
    assert created[0]["chat"]["patron_name"] == "Sam"
    assert created[0]["event_id"] == ChatEvent.objects.get(type="chat.created").pk


def created_summary_browser(sent_events: list[Any]) -> str:
    return str(next(e for g, e in sent_events if e["type"] == "chat.created")["chat"]["browser"])


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
    new_chat: Callable[..., Any],
    make_librarian: Callable[..., Librarian],
    sent_events: list[Any],
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    claimed = actions.do_claim_chat(chat.pk, acting_librarian=ana)
    assert claimed.state == ChatState.ACTIVE
    assert claimed.librarian == ana
    events = {(g, e["type"]) for g, e in sent_events}
    assert (("staff",), "chat.claimed") in events
    assert ((f"chat.{chat.pk}",), "chat.claimed") in events
    patron_event = next(e for g, e in sent_events if g == (f"chat.{chat.pk}",))
    assert patron_event == {"type": "chat.claimed", "chat_id": chat.pk, "by": "Ana"}


def test_claim_when_already_claimed_reports_who_has_it(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    chat, _ = new_chat()
    ana, ben = make_librarian("ana"), make_librarian("ben", campus="south")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with pytest.raises(ActionError) as caught:
        actions.do_claim_chat(chat.pk, acting_librarian=ben)
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
    new_chat: Callable[..., Any],
    make_librarian: Callable[..., Librarian],
    sent_events: list[Any],
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    first = actions.check_send_librarian_message(
        chat.pk, acting_librarian=ana, client_id="c1", body="Hi Sam, "
    )
    second = actions.check_send_patron_message(chat, client_id="p1", body="Thanks!")
    assert (first["seq"], second["seq"]) == (2, 3)
    groups = [g for g, e in sent_events if e["type"] == "message"]
    assert groups == [(f"chat.{chat.pk}", f"librarian.{ana.pk}")] * 2


@pytest.mark.engines
def test_a_resend_with_the_same_client_id_is_stored_once(
    new_chat: Callable[..., Any], sent_events: list[Any]
) -> None:
    chat, _ = new_chat()
    one = actions.check_send_patron_message(chat, client_id="same", body="Hello")
    two = actions.check_send_patron_message(chat, client_id="same", body="Hello")
    assert one == two
    assert Message.objects.filter(chat=chat, client_id="same").count() == 1
    assert len([e for g, e in sent_events if e["type"] == "message"]) == 1


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
    new_chat: Callable[..., Any],
    make_librarian: Callable[..., Librarian],
    sent_events: list[Any],
) -> None:
    chat, _ = new_chat()
    ana = make_librarian("ana")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    ended = actions.check_end_chat_by_librarian(
        chat.pk, acting_librarian=ana, closing="I hope that helps. Have a great day!"
    )
    assert ended.state == ChatState.ENDED
    assert ended.end_reason == "closed"
    bodies = list(Message.objects.filter(chat=chat).values_list("sender", "body"))
    assert bodies[-2] == ("librarian", "I hope that helps. Have a great day!")
    assert bodies[-1][0] == "system"
    with pytest.raises(ActionError) as caught:
        actions.check_end_chat_by_librarian(chat.pk, acting_librarian=ana)
    assert caught.value.code == "chat_ended"
    patron_end = [e for g, e in sent_events if e["type"] == "chat.ended" and "event_id" not in e]
    assert patron_end == [{"type": "chat.ended", "chat_id": chat.pk, "reason": "closed"}]


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
