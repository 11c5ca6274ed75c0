"""Patron messages screened on the message path: a flagged line is stored with its flag,
a ``chat.flagged`` event is recorded, and the alert goes to the holder (or every console
while the chat waits); the patron's side gets the same ``message`` as ever."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import (
    chat_summary,
    list_message_payloads,
    list_messages,
    list_messages_json,
)
from refdesk.core.realtime import STAFF_GROUP, chat_group, librarian_group
from refdesk.safety.actions import check_watch_term, do_add_watch_term
from refdesk.safety.models import WatchTerm
from tests.support import ANY, assert_events_exactly, capture_events

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.engines]


@pytest.fixture(autouse=True)
def watched() -> None:
    WatchTerm.objects.all().delete()  # the shipped lists: this test's terms alone
    for kind, term in (("abuse", "idiot*"), ("threat", "kill you"), ("crisis", "no quiero vivir")):
        do_add_watch_term(
            check_watch_term(language="en", kind=kind, term=term, is_pattern="*" in term)
        )
    do_add_watch_term(
        check_watch_term(language="en", kind="exception", term="kill the process", is_pattern=False)
    )


def message(chat: Chat, seq: int, body: str, sender: str = "patron", name: str = "Sam") -> Any:
    return {
        "type": "message",
        "chat_id": chat.pk,
        "seq": seq,
        "sender": sender,
        "sender_name": name,
        "body": body,
        "client_id": ANY,
        "sent_at": ANY,
    }


def flagged_rows(chat: Chat) -> list[tuple[int, str]]:
    return list(Message.objects.filter(chat=chat).order_by("seq").values_list("seq", "flag"))


def test_a_waiting_chats_flagged_line_alerts_every_console_and_not_the_patron(
    new_chat: Callable[..., Any],
) -> None:
    chat, _ = new_chat(name="Sam")
    with capture_events() as events:
        actions.check_send_patron_message(chat, client_id="p1", body="You 1D10TS!")
    assert_events_exactly(
        events,
        [
            ((chat_group(chat.pk),), message(chat, 2, "You 1D10TS!")),
            (
                (STAFF_GROUP,),
                {
                    "type": "alert",
                    "chat_id": chat.pk,
                    "kind": "abuse",
                    "seq": 2,
                    "terms": ["idiots"],
                },
            ),
        ],
    )
    assert flagged_rows(chat) == [(1, ""), (2, "abuse")]
    assert list(
        ChatEvent.objects.filter(chat=chat, type="chat.flagged").values_list("data", "actor_id")
    ) == [({"chat_id": chat.pk, "kind": "abuse", "seq": 2}, None)]


def test_an_active_chats_flagged_line_alerts_only_the_holder_with_the_gravest_kind(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    chat, _ = new_chat(name="Sam")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    body = "idiot, I will k i l l   y o u"
    with capture_events() as events:
        actions.check_send_patron_message(chat, client_id="p1", body=body)
    assert_events_exactly(
        events,
        [
            ((chat_group(chat.pk), librarian_group(ana.pk)), message(chat, 2, body)),
            (
                (librarian_group(ana.pk),),
                {
                    "type": "alert",
                    "chat_id": chat.pk,
                    "kind": "threat",
                    "seq": 2,
                    "terms": ["kill you"],
                },
            ),
        ],
    )
    assert flagged_rows(chat) == [(1, ""), (2, "threat")]


def test_ordinary_lines_exceptions_and_librarians_lines_are_not_flagged(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    chat, _ = new_chat(name="Sam")
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events:
        actions.check_send_patron_message(chat, client_id="p1", body="How do I kill the process?")
        actions.check_send_librarian_message(
            chat.pk, acting_librarian=ana, client_id="a1", body="Don't call me an idiot"
        )
    assert [event["type"] for _, event in events] == ["message", "message"]
    assert flagged_rows(chat) == [(1, ""), (2, ""), (3, "")]
    assert not ChatEvent.objects.filter(type="chat.flagged").exists()


def test_the_flag_is_in_what_staff_read_and_never_in_what_the_patron_reads(
    new_chat: Callable[..., Any],
) -> None:
    chat, _ = new_chat(name="Sam")
    actions.check_send_patron_message(chat, client_id="p1", body="no quiero vivir")
    staff = json.loads(list_messages_json([chat.pk])[chat.pk].text)
    assert [line.get("flag") for line in staff] == [None, "crisis"]
    assert [line.get("flag") for line in list_message_payloads([chat.pk], flags=True)[chat.pk]] == [
        None,
        "crisis",
    ]
    assert all("flag" not in line for line in list_messages(chat))


@override_settings(
    REFDESK={**__import__("django.conf").conf.settings.REFDESK, "SAFETY_SCREENING": False}
)
def test_with_screening_off_nothing_is_flagged(new_chat: Callable[..., Any]) -> None:
    chat, _ = new_chat(name="Sam")
    with capture_events() as events:
        actions.check_send_patron_message(chat, client_id="p1", body="I will kill you")
    assert [event["type"] for _, event in events] == ["message"]
    assert flagged_rows(chat) == [(1, ""), (2, "")]


def test_the_chat_keeps_its_gravest_flag_in_the_summary_across_lines_and_the_purge(
    new_chat: Callable[..., Any],
) -> None:
    chat, _ = new_chat(name="Sam")
    assert "flag" not in chat_summary(Chat.objects.get(pk=chat.pk))
    actions.check_send_patron_message(chat, client_id="p1", body="you idiot")
    assert chat_summary(Chat.objects.get(pk=chat.pk))["flag"] == "abuse"
    actions.check_send_patron_message(chat, client_id="p2", body="I will kill you")
    assert Chat.objects.get(pk=chat.pk).flag == "threat"
    # A milder line later leaves the gravest; an ordinary one too.
    actions.check_send_patron_message(chat, client_id="p3", body="no quiero vivir")
    actions.check_send_patron_message(chat, client_id="p4", body="Thanks")
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.flag, fresh.last_seq) == ("threat", 5)
    assert chat_summary(fresh)["flag"] == "threat"
    # Batched lines of several chats: each chat takes its own gravest.
    other, _ = new_chat(name="Lee")
    results = actions.do_store_messages(
        [
            actions.NewMessage(other.pk, "patron", "no quiero vivir", "b1"),
            actions.NewMessage(other.pk, "patron", "idiot", "b2"),
            actions.NewMessage(chat.pk, "patron", "idiot", "b3"),
        ]
    )
    assert all(isinstance(result, dict) for result in results)
    assert dict(Chat.objects.filter(pk__in=[chat.pk, other.pk]).values_list("pk", "flag")) == {
        chat.pk: "threat",
        other.pk: "crisis",
    }
    actions.do_end_chat(Chat.objects.get(pk=chat.pk), reason="closed")
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - dt.timedelta(days=3650))
    actions.do_purge_expired_chats()
    assert Chat.objects.get(pk=chat.pk).flag == ""
