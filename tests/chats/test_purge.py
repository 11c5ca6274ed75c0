"""Retention: patron details and message text go; anonymous statistics stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import get_chat_by_token, message_payload
from refdesk.core.realtime import STAFF_GROUP
from tests.support import (
    NO_ACTIVE_TIMERS,
    NOT_WAITING_TIMERS,
    assert_events_exactly,
    capture_events,
    presence_event,
)

pytestmark = pytest.mark.django_db


def ended_chat(
    new_chat: Callable[..., Any], librarian: Librarian, *, days_ago: int
) -> tuple[Chat, str]:
    chat, token = new_chat(name="Sam Patron", email="sam@example.edu", question="secret question")
    actions.do_claim_chat(chat.pk, acting_librarian=librarian)
    actions.check_send_librarian_message(
        chat.pk, acting_librarian=librarian, client_id="l1", body="Hi Sam"
    )
    actions.check_send_patron_message(chat, client_id="p1", body="my card number is 1234")
    actions.do_end_chat(chat, reason="closed")
    Chat.objects.filter(pk=chat.pk).update(
        ended_at=timezone.now() - dt.timedelta(days=days_ago),
        ip_hash="abc",
        browser="Firefox 120 on Linux",
    )
    return chat, token


def test_chats_ended_over_ninety_days_ago_lose_everything_that_identifies_the_patron(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    old, token = ended_chat(new_chat, ana, days_ago=91)
    result = actions.do_purge_expired_chats()
    assert (result.chats, result.messages) == (1, 4)
    chat = Chat.objects.get(pk=old.pk)
    assert (
        chat.patron_name,
        chat.patron_email,
        chat.question,
        chat.page_url,
        chat.browser,
        chat.ip_hash,
    ) == ("", "", "", "", "", "")
    assert chat.purged_at is not None
    assert get_chat_by_token(token) is None
    assert set(Message.objects.filter(chat=chat).values_list("body", flat=True)) == {""}
    assert set(Message.objects.filter(chat=chat).values_list("sender_name", flat=True)) == {""}
    assert all(
        data == {} for data in ChatEvent.objects.filter(chat=chat).values_list("data", flat=True)
    )
    # The anonymous facts stay.
    assert (chat.campus.slug, chat.state, chat.end_reason, chat.librarian) == (
        "north",
        "ended",
        "closed",
        ana,
    )
    assert list(Message.objects.filter(chat=chat).values_list("sender", flat=True)) == [
        "patron",
        "librarian",
        "patron",
        "system",
    ]


def test_recent_and_open_chats_are_kept_whole(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    recent, _ = ended_chat(new_chat, ana, days_ago=89)
    waiting, _ = new_chat(name="Kim", question="still waiting")
    Chat.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    assert actions.do_purge_expired_chats().chats == 0
    assert Chat.objects.get(pk=recent.pk).patron_name == "Sam Patron"
    assert Chat.objects.get(pk=waiting.pk).question == "still waiting"


def test_purging_twice_changes_nothing_the_second_time(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ended_chat(new_chat, make_librarian("ana"), days_ago=120)
    assert actions.do_purge_expired_chats().chats == 1
    assert actions.do_purge_expired_chats().chats == 0


def test_the_purge_command_reports_what_it_did(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ended_chat(new_chat, make_librarian("ana"), days_ago=100)
    out = StringIO()
    call_command("purge", stdout=out)
    assert "Purged 1 chats" in out.getvalue()


def test_the_retention_period_comes_from_the_settings(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "RETENTION_DAYS": 7}
    ended_chat(new_chat, make_librarian("ana"), days_ago=8)
    assert actions.do_purge_expired_chats().chats == 1


MARKER = "Quetzalcoatl-7f3a9"


@pytest.mark.django_db(transaction=True)
def test_after_the_purge_no_copy_of_the_text_is_left_in_the_database_files(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own files")
    ana = make_librarian("ana")
    chat, _token = new_chat(
        name=f"Sam {MARKER}", email="sam@example.edu", question=f"about {MARKER} please"
    )
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    for i in range(30):
        actions.check_send_patron_message(chat, client_id=f"p{i}", body=f"{MARKER} line {i}")
    actions.do_end_chat(chat, reason="closed")
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - dt.timedelta(days=91))
    path = settings.DATABASES["default"]["NAME"]
    files = [path, f"{path}-wal"]
    assert any(MARKER.encode() in open(name, "rb").read() for name in files)  # noqa: SIM115
    out = StringIO()
    call_command("purge", stdout=out, stderr=out)
    assert "Purged 1 chats (32 messages)" in out.getvalue()
    for name in files:
        with open(name, "rb") as handle:
            assert MARKER.encode() not in handle.read(), name


@pytest.mark.django_db(transaction=True)
def test_a_chat_never_ended_is_ended_and_purged_a_year_after_it_started(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    waiting, waiting_token = new_chat(name="Wanda", question="anyone there?")
    active, _ = new_chat(name="Abe", question="still here")
    actions.do_claim_chat(active.pk, acting_librarian=ana)
    recent, _ = new_chat(name="Rita", question="asked yesterday")
    year_ago = timezone.now() - dt.timedelta(days=366)
    Chat.objects.filter(pk__in=[waiting.pk, active.pk]).update(created_at=year_ago)
    Chat.objects.filter(pk=recent.pk).update(created_at=timezone.now() - dt.timedelta(days=364))

    with capture_events() as events:
        result = actions.do_purge_expired_chats()

    assert (result.chats, result.messages) == (2, 4)
    rows = {
        c.pk: (c.state, c.end_reason, c.patron_name, c.question, c.purged_at is not None)
        for c in Chat.objects.all()
    }
    assert rows == {
        waiting.pk: ("ended", "unanswered", "", "", True),
        active.pk: ("ended", "idle", "", "", True),
        recent.pk: ("waiting", "", "Rita", "asked yesterday", False),
    }
    assert get_chat_by_token(waiting_token) is None
    # Each was ended as do_end_chat ends a chat, and told with the details it had then:
    # the purge blanks them only afterwards.
    assert_events_exactly(
        events,
        [
            *ended_events(waiting.pk, "unanswered", name="Wanda", question="anyone there?"),
            *ended_events(active.pk, "idle", name="Abe", question="still here", holder=ana),
            # Ana holds one chat fewer (she has no console open: offline).
            presence_event(ana),
        ],
    )
    # Once is enough: a second purge finds nothing more.
    assert actions.do_purge_expired_chats() == actions.PurgeResult(0, 0)


def ended_events(
    chat_id: int, reason: str, *, name: str, question: str, holder: Librarian | None = None
) -> list[tuple[Any, ...]]:
    """What ending a chat of ``new_chat``'s with its question alone sends: the system line
    to the patron (and the holder), ``chat.ended`` to staff, then to the patron."""
    chat = Chat.objects.select_related("campus").get(pk=chat_id)
    line = message_payload(Message.objects.get(chat_id=chat_id, seq=2))
    patron = f"chat.{chat_id}"
    return [
        (
            [patron, f"librarian.{holder.pk}"] if holder else [patron],
            {**line, "body": "The chat has ended."},
        ),
        (
            STAFF_GROUP,
            {
                "type": "chat.ended",
                "event_id": ChatEvent.objects.get(chat_id=chat_id, type="chat.ended").pk,
                "chat_id": chat_id,
                "reason": reason,
                "chat": {
                    "id": chat_id,
                    "state": "ended",
                    "end_reason": reason,
                    "campus": "north",
                    "campus_name": "North Campus Library",
                    "campus_colour": "#1f4e79",
                    "patron_name": name,
                    "patron_email": "",
                    "question": question,
                    "name_was_question": False,
                    "page_url": "",
                    "browser": "",
                    "created_at": chat.created_at.isoformat(),
                    "claimed_at": chat.claimed_at.isoformat() if chat.claimed_at else None,
                    "ended_at": chat.ended_at.isoformat() if chat.ended_at else None,
                    "claimed_by": holder.display_name if holder else None,
                    "claimed_by_id": holder.pk if holder else None,
                    "last_seq": 2,
                    "patron_gone_at": None,
                    **NOT_WAITING_TIMERS,
                    **NO_ACTIVE_TIMERS,
                },
            },
        ),
        (patron, {"type": "chat.ended", "chat_id": chat_id, "reason": reason}),
    ]


def test_the_age_for_chats_never_ended_is_a_setting(
    new_chat: Callable[..., Any], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "RETENTION_OPEN_DAYS": 30}
    chat, _ = new_chat()
    Chat.objects.filter(pk=chat.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert actions.do_purge_expired_chats().chats == 1
    assert Chat.objects.get(pk=chat.pk).end_reason == "unanswered"
