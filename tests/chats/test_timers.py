"""The timers of an active chat: the message path keeps the stored times, and the jobs
(dead air, silent patrons) fire once per stretch, with the clock moved by the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.actions import NewMessage
from refdesk.chats.models import Chat, ChatEvent, ChatState, EndReason, Message, Sender
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_for_staff,
    list_campuses_with_queue_changes,
)
from refdesk.core.realtime import STAFF_GROUP, chat_group, librarian_group
from tests.support import ANY, assert_events_exactly, capture_events, presence_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.engines]

T0 = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


class Clock:
    """The test's clock: ``at(seconds)`` moves it to ``T0`` plus that many seconds."""

    def __init__(self) -> None:
        self._travel: Any = None

    def at(self, seconds: float) -> dt.datetime:
        moment = T0 + dt.timedelta(seconds=seconds)
        if self._travel is not None:
            self._travel.stop()
        self._travel = time_machine.travel(moment, tick=False)
        self._travel.start()
        return moment

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()


@pytest.fixture
def clock() -> Iterator[Clock]:
    moved = Clock()
    yield moved
    moved.stop()


@pytest.fixture
def ana(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ana")


@pytest.fixture
def held(new_chat: Callable[..., Any], ana: Librarian, clock: Clock) -> Chat:
    """A chat created at T0 and claimed by Ana at T0 + 5 s."""
    clock.at(0)
    chat, _ = new_chat("north", name="Sam", question="Can I renew online?")
    clock.at(5)
    return actions.do_claim_chat(chat.pk, acting_librarian=ana)


def patron_says(chat: Chat, body: str) -> None:
    actions.check_send_patron_message(chat, client_id="", body=body)


def librarian_says(chat: Chat, librarian: Librarian, body: str) -> None:
    actions.check_send_librarian_message(
        chat.pk, acting_librarian=librarian, client_id="", body=body
    )


def timers(chat: Chat) -> tuple[Any, ...]:
    return tuple(
        Chat.objects.values_list(
            "patron_waiting_since",
            "patron_silent_since",
            "silent_asked_at",
            "silent_end_at",
            "dead_air_alerted_at",
        ).get(pk=chat.pk)
    )


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def events_of(chat: Chat) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.type, row.data)
        for row in ChatEvent.objects.filter(
            chat=chat, type__in=("chat.dead_air", "chat.silent_patron")
        )
    ]


# ---------------------------------------------------------------------------
# The message path
# ---------------------------------------------------------------------------


def test_the_claim_starts_the_wait_for_the_first_reply(held: Chat) -> None:
    assert timers(held) == (at(5), None, None, None, None)
    summary = chat_summary(get_chat_for_staff(held.pk))  # type: ignore[arg-type]
    assert summary["patron_waiting_since"] == at(5).isoformat()
    assert summary["patron_silent_since"] is None
    assert summary["silent_asked_at"] is None


def test_a_waiting_chat_runs_no_active_timers(new_chat: Callable[..., Any], clock: Clock) -> None:
    clock.at(0)
    chat, _ = new_chat()
    clock.at(30)
    patron_says(chat, "Hello?")
    assert timers(chat) == (None, None, None, None, None)
    assert chat_summary(get_chat_for_staff(chat.pk))["patron_waiting_since"] is None  # type: ignore[arg-type]


def test_a_reply_ends_the_wait_and_starts_a_silence_and_the_patron_ends_it(
    held: Chat, ana: Librarian, clock: Clock
) -> None:
    clock.at(20)
    librarian_says(held, ana, "Hi Sam, let me look.")
    assert timers(held) == (None, at(20), None, None, None)
    clock.at(40)
    librarian_says(held, ana, "Found it.")
    assert timers(held) == (None, at(40), None, None, None)
    clock.at(50)
    patron_says(held, "Thanks, and what about fines?")
    assert timers(held) == (at(50), None, None, None, None)
    # A second unanswered message keeps the start of the wait.
    clock.at(70)
    patron_says(held, "Hello?")
    assert timers(held) == (at(50), None, None, None, None)


def test_a_librarian_typing_does_not_end_the_wait(held: Chat, ana: Librarian, clock: Clock) -> None:
    clock.at(30)
    async_to_sync(actions.do_send_typing)(
        held.pk, sender=Sender.LIBRARIAN, active=True, librarian_id=ana.pk
    )
    assert timers(held) == (at(5), None, None, None, None)


def test_one_batch_applies_its_messages_in_order(held: Chat, ana: Librarian, clock: Clock) -> None:
    clock.at(30)
    patron = NewMessage(held.pk, Sender.PATRON, "Still there?")
    reply = NewMessage(held.pk, Sender.LIBRARIAN, "Yes!", librarian_id=ana.pk, librarian_name="Ana")
    actions.do_store_messages([patron, reply])
    assert timers(held) == (None, at(30), None, None, None)
    clock.at(60)
    actions.do_store_messages([reply, patron])
    assert timers(held) == (at(60), None, None, None, None)
    assert Chat.objects.get(pk=held.pk).last_seq == 5
    assert list(Message.objects.filter(chat=held).values_list("seq", "sender")) == [
        (1, "patron"),
        (2, "patron"),
        (3, "librarian"),
        (4, "librarian"),
        (5, "patron"),
    ]


# ---------------------------------------------------------------------------
# Dead air
# ---------------------------------------------------------------------------


def dead_air(chat: Chat, since: dt.datetime) -> dict[str, Any]:
    return {"type": "alert", "chat_id": chat.pk, "kind": "dead_air", "since": since.isoformat()}


def test_dead_air_alerts_the_holder_once_per_stretch(
    held: Chat, ana: Librarian, clock: Clock
) -> None:
    # The claim at 5 s starts the wait; red is 120 s later.
    assert actions.do_alert_dead_air(now=at(124)) == 0
    with capture_events() as events:
        assert actions.do_alert_dead_air(now=at(125)) == 1
    assert_events_exactly(events, [(librarian_group(ana.pk), dead_air(held, at(5)))])
    assert timers(held) == (at(5), None, None, None, at(125))
    assert events_of(held) == [("chat.dead_air", {"chat_id": held.pk, "since": at(5).isoformat()})]
    row = ChatEvent.objects.get(chat=held, type="chat.dead_air")
    assert (row.actor_id, row.created_at) == (ana.pk, at(125))
    # Once per stretch, however often the job runs.
    assert actions.do_alert_dead_air(now=at(600)) == 0

    # A reply ends the stretch; the patron's next message starts another.
    clock.at(610)
    librarian_says(held, ana, "Sorry for the wait.")
    assert actions.do_alert_dead_air(now=at(2000)) == 0
    clock.at(620)
    patron_says(held, "No problem. Anything else?")
    assert actions.do_alert_dead_air(now=at(739)) == 0
    with capture_events() as events:
        assert actions.do_alert_dead_air(now=at(740)) == 1
    assert_events_exactly(events, [(librarian_group(ana.pk), dead_air(held, at(620)))])
    assert [data["since"] for _, data in events_of(held)] == [
        at(5).isoformat(),
        at(620).isoformat(),
    ]
    assert actions.do_alert_dead_air(now=at(900)) == 0


def test_dead_air_skips_waiting_and_ended_chats(
    new_chat: Callable[..., Any], held: Chat, ana: Librarian, clock: Clock
) -> None:
    clock.at(0)
    waiting, _ = new_chat()
    actions.do_end_chat(held, reason=EndReason.CLOSED, acting_librarian=ana)
    assert actions.do_alert_dead_air(now=at(3600)) == 0
    assert ChatEvent.objects.filter(type="chat.dead_air").count() == 0
    assert Chat.objects.get(pk=waiting.pk).dead_air_alerted_at is None


def test_timer_events_move_no_queue(held: Chat) -> None:
    cursor = ChatEvent.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    actions.do_alert_dead_air(now=at(200))
    newest, campuses = list_campuses_with_queue_changes(cursor)
    assert newest > cursor
    assert campuses == []


# ---------------------------------------------------------------------------
# Silent patrons
# ---------------------------------------------------------------------------


def silent(chat: Chat, stage: str, since: dt.datetime) -> dict[str, Any]:
    return {
        "type": "alert",
        "chat_id": chat.pk,
        "kind": "silent_patron",
        "stage": stage,
        "since": since.isoformat(),
    }


def test_a_silent_patron_is_asked_about_then_ending_is_suggested_once_each(
    held: Chat, ana: Librarian, clock: Clock
) -> None:
    clock.at(20)
    librarian_says(held, ana, "Here is the renewal page.")
    # Three minutes after the librarian's latest message: ask.
    assert actions.do_alert_silent_patrons(now=at(199)) == 0
    with capture_events() as events:
        assert actions.do_alert_silent_patrons(now=at(200)) == 1
    assert_events_exactly(events, [(librarian_group(ana.pk), silent(held, "ask", at(20)))])
    assert timers(held) == (None, at(20), at(200), None, None)
    assert actions.do_alert_silent_patrons(now=at(300)) == 0
    # The librarian asks themselves; the end still counts from the first ask.
    clock.at(210)
    librarian_says(held, ana, "Are you still there?")
    assert actions.do_alert_silent_patrons(now=at(499)) == 0
    with capture_events() as events:
        assert actions.do_alert_silent_patrons(now=at(500)) == 1
    assert_events_exactly(events, [(librarian_group(ana.pk), silent(held, "end", at(210)))])
    assert timers(held) == (None, at(210), at(200), at(500), None)
    assert Chat.objects.get(pk=held.pk).state == ChatState.ACTIVE
    assert actions.do_alert_silent_patrons(now=at(5000)) == 0
    assert events_of(held) == [
        ("chat.silent_patron", {"chat_id": held.pk, "stage": "ask", "since": at(20).isoformat()}),
        ("chat.silent_patron", {"chat_id": held.pk, "stage": "end", "since": at(210).isoformat()}),
    ]
    # The patron answers: the silence is over, and a new one starts from the next reply.
    clock.at(5010)
    patron_says(held, "Sorry, I'm back")
    assert timers(held) == (at(5010), None, None, None, None)
    clock.at(5020)
    librarian_says(held, ana, "Welcome back.")
    assert actions.do_alert_silent_patrons(now=at(5199)) == 0
    assert actions.do_alert_silent_patrons(now=at(5200)) == 1


def test_a_patron_who_waits_for_the_librarian_is_not_silent(held: Chat) -> None:
    # The question waits for a reply since the claim: the patron owes nothing.
    assert actions.do_alert_silent_patrons(now=at(3600)) == 0
    assert timers(held)[1:4] == (None, None, None)


@pytest.fixture
def auto(settings: Any) -> None:
    settings.REFDESK = {**settings.REFDESK, "SILENT_PATRON_AUTO": True}


def test_with_auto_on_the_desk_asks_and_then_ends_the_chat_idle(
    held: Chat, ana: Librarian, clock: Clock, auto: None
) -> None:
    clock.at(20)
    librarian_says(held, ana, "Here is the renewal page.")
    both = (chat_group(held.pk), librarian_group(ana.pk))
    clock.at(200)
    with capture_events() as events:
        assert actions.do_alert_silent_patrons() == 1
    line = "Are you still there? Without a reply, this chat will end in 5 minutes."
    assert_events_exactly(
        events,
        [
            (librarian_group(ana.pk), silent(held, "ask", at(20))),
            (
                both,
                {
                    "type": "message",
                    "chat_id": held.pk,
                    "seq": 3,
                    "sender": "system",
                    "sender_name": "",
                    "body": line,
                    "client_id": "",
                    "sent_at": at(200).isoformat(),
                },
            ),
        ],
    )
    # The desk's line does not restart the silence.
    assert timers(held) == (None, at(20), at(200), None, None)
    clock.at(500)
    with capture_events() as events:
        assert actions.do_alert_silent_patrons() == 1
    ended = get_chat_for_staff(held.pk)
    assert ended is not None
    assert (ended.state, ended.end_reason, ended.ended_at) == ("ended", "idle", at(500))
    assert_events_exactly(
        events,
        [
            (
                both,
                {
                    "type": "message",
                    "chat_id": held.pk,
                    "seq": 4,
                    "sender": "system",
                    "sender_name": "",
                    "body": "The chat has ended: no reply from the patron.",
                    "client_id": "",
                    "sent_at": at(500).isoformat(),
                },
            ),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": ANY,
                    "chat_id": held.pk,
                    "reason": "idle",
                    "chat": chat_summary(ended),
                },
            ),
            (chat_group(held.pk), {"type": "chat.ended", "chat_id": held.pk, "reason": "idle"}),
            presence_event(ana, active_chats=0),
        ],
    )
    # The transcript is kept; the end is an ordinary chat.ended, not a silent-patron alert.
    assert list(Message.objects.filter(chat=held).values_list("sender", flat=True)) == [
        "patron",
        "librarian",
        "system",
        "system",
    ]
    assert [kind for kind, _ in events_of(held)] == ["chat.silent_patron"]
    assert actions.do_alert_silent_patrons(now=at(9000)) == 0


def test_with_auto_on_a_patron_who_answers_in_time_is_not_ended(
    held: Chat, ana: Librarian, clock: Clock, auto: None
) -> None:
    clock.at(20)
    librarian_says(held, ana, "Here is the renewal page.")
    assert actions.do_alert_silent_patrons(now=at(200)) == 1
    clock.at(300)
    patron_says(held, "Yes, reading it")
    assert actions.do_alert_silent_patrons(now=at(600)) == 0
    assert Chat.objects.get(pk=held.pk).state == ChatState.ACTIVE


def test_the_auto_line_names_a_fraction_of_a_minute_in_seconds(
    held: Chat, ana: Librarian, clock: Clock, auto: None, settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "SILENT_PATRON_END_MINUTES": 0.5}
    clock.at(20)
    librarian_says(held, ana, "Here is the renewal page.")
    actions.do_alert_silent_patrons(now=at(200))
    last = Message.objects.filter(chat=held).order_by("-seq").first()
    assert last is not None
    assert last.body == "Are you still there? Without a reply, this chat will end in 30 seconds."
    assert timezone.is_aware(last.created_at)
