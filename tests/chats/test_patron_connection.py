"""The patron's connection: gone when their last socket closes, here again when one opens,
and a waiting chat whose patron stays gone ends as ``patron_left``.

The timers run on stored times (``patron_gone_at``, ``seen_at``) moved by hand, not on
sleeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, Message, PatronConnection
from refdesk.chats.selectors import chat_summary, get_chat_for_staff, message_payload
from refdesk.core.realtime import STAFF_GROUP
from tests.support import (
    ANY,
    assert_events_exactly,
    capture_events,
    close,
    open_patron,
    open_staff,
    receive_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def connection_event(chat_id: int, gone_since: Any) -> tuple[str, dict[str, Any]]:
    return (
        STAFF_GROUP,
        {
            "type": "patron.connection",
            "chat_id": chat_id,
            "here": gone_since is None,
            "gone_since": gone_since,
        },
    )


def gone_at(chat: Chat) -> dt.datetime | None:
    return Chat.objects.values_list("patron_gone_at", flat=True).get(pk=chat.pk)


def test_the_last_of_a_patron_s_tabs_closing_marks_them_gone_and_one_opening_brings_them_back(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    chat, _ = new_chat()
    with capture_events() as events:
        actions.do_open_patron_socket(chat.pk, channel_name="tab-1", process="a")
        actions.do_open_patron_socket(chat.pk, channel_name="tab-2", process="b")
        actions.do_close_patron_socket(chat.pk, channel_name="tab-1")
    # Another tab (on another process) is still open: nothing changes.
    assert_events_exactly(events, [])
    assert gone_at(chat) is None

    with capture_events() as events:
        actions.do_close_patron_socket(chat.pk, channel_name="tab-2")
    gone = gone_at(chat)
    assert gone is not None
    assert_events_exactly(events, [connection_event(chat.pk, gone.isoformat())])
    assert chat_summary(get_chat_for_staff(chat.pk))["patron_gone_at"] == gone.isoformat()  # type: ignore[arg-type]

    with capture_events() as events:
        actions.do_open_patron_socket(chat.pk, channel_name="tab-3", process="a")
        actions.do_open_patron_socket(chat.pk, channel_name="tab-4", process="a")
    assert_events_exactly(events, [connection_event(chat.pk, None)])
    assert gone_at(chat) is None


def test_a_socket_of_an_ended_chat_changes_nothing(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    chat, _ = new_chat()
    actions.do_open_patron_socket(chat.pk, channel_name="tab-1", process="a")
    actions.do_end_chat(chat, reason="patron_left")
    with capture_events() as events:
        actions.do_close_patron_socket(chat.pk, channel_name="tab-1")
    assert_events_exactly(events, [])
    assert gone_at(chat) is None


def test_a_dead_process_s_patron_sockets_are_swept_and_their_patrons_marked_gone(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    chat, _ = new_chat()
    lively, _ = new_chat(name="Lee")
    actions.do_open_patron_socket(chat.pk, channel_name="dead-tab", process="dead")
    actions.do_open_patron_socket(lively.pk, channel_name="live-tab", process="live")
    PatronConnection.objects.filter(process="dead").update(
        seen_at=timezone.now() - dt.timedelta(seconds=61)
    )
    with capture_events() as events:
        assert actions.do_sweep_stale_patron_sockets() == 1
        assert actions.do_sweep_stale_patron_sockets() == 0
    gone = gone_at(chat)
    assert gone is not None
    assert_events_exactly(events, [connection_event(chat.pk, gone.isoformat())])
    assert gone_at(lively) is None


def test_a_chat_whose_patron_never_opened_a_socket_is_left_alone(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    """A script's chats (the benchmark's setup, a test's flood) have no patron to lose."""
    old, _ = new_chat(name="Old")
    Chat.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with capture_events() as events:
        assert actions.do_sweep_stale_patron_sockets() == 0
    assert_events_exactly(events, [])
    assert gone_at(old) is None


def test_a_waiting_chat_whose_patron_stays_gone_ends_as_patron_left_once(
    new_chat: Callable[..., tuple[Chat, str]], make_librarian: Callable[..., Librarian]
) -> None:
    now = timezone.now()
    long_gone, _ = new_chat(name="Long")
    just_gone, _ = new_chat(name="Just")
    came_back, _ = new_chat(name="Back")
    held, _ = new_chat(name="Held")
    ana = make_librarian("ana")
    actions.do_claim_chat(held.pk, acting_librarian=ana)
    Chat.objects.filter(pk__in=[long_gone.pk, held.pk]).update(
        patron_gone_at=now - dt.timedelta(minutes=3)
    )
    Chat.objects.filter(pk=just_gone.pk).update(
        patron_gone_at=now - dt.timedelta(minutes=2, seconds=59)
    )

    with capture_events() as events:
        assert actions.do_end_chats_patron_gone(now=now) == 1
        # Any number of processes run the job: the second run ends nothing.
        assert actions.do_end_chats_patron_gone(now=now) == 0

    states = dict(Chat.objects.values_list("pk", "end_reason"))
    assert states == {long_gone.pk: "patron_left", just_gone.pk: "", came_back.pk: "", held.pk: ""}
    summary = chat_summary(get_chat_for_staff(long_gone.pk))  # type: ignore[arg-type]
    assert summary["patron_gone_at"] is None  # an ended chat has no connection to show
    line = Message.objects.get(chat=long_gone, seq=2)
    assert line.body == "The patron left the chat."
    assert_events_exactly(
        events,
        [
            (f"chat.{long_gone.pk}", message_payload(line)),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": ChatEvent.objects.get(chat=long_gone, type="chat.ended").pk,
                    "chat_id": long_gone.pk,
                    "reason": "patron_left",
                    "chat": summary,
                },
            ),
            (
                f"chat.{long_gone.pk}",
                {"type": "chat.ended", "chat_id": long_gone.pk, "reason": "patron_left"},
            ),
        ],
    )
    # Later the one just gone ends too; an active chat stays with its librarian however
    # long the patron is gone, and a patron who is here keeps their place.
    assert actions.do_end_chats_patron_gone(now=now + dt.timedelta(hours=1)) == 1
    states = dict(Chat.objects.values_list("pk", "state"))
    assert (states[just_gone.pk], states[held.pk], states[came_back.pk]) == (
        "ended",
        "active",
        "waiting",
    )


def test_a_patron_coming_back_as_the_job_runs_keeps_the_chat(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    """The end is conditional on the stored time the job read: the patron's return,
    committed in between, wins."""
    chat, _ = new_chat()
    Chat.objects.filter(pk=chat.pk).update(patron_gone_at=timezone.now() - dt.timedelta(minutes=4))
    found = get_chat_for_staff(chat.pk)
    assert found is not None
    actions.do_open_patron_socket(chat.pk, channel_name="back", process="a")
    gone = {"state": "waiting", "patron_gone_at__lte": timezone.now()}
    with capture_events() as events, pytest.raises(actions.ActionError):
        actions.do_end_chat(found, reason="patron_left", where=actions.Q(**gone))
    assert_events_exactly(events, [])
    assert Chat.objects.get(pk=chat.pk).state == "waiting"


async def test_consoles_see_a_patron_leave_and_come_back_through_the_sockets(
    new_chat: Callable[..., tuple[Chat, str]], make_librarian: Callable[..., Librarian]
) -> None:
    ana = await database_sync_to_async(make_librarian)("ana")
    chat, token = await database_sync_to_async(new_chat)()
    console, _ = await open_staff(ana)
    await receive_until(console, "presence")
    first, state = await open_patron(token)
    assert state["desk_online"] is True
    second, _ = await open_patron(token)
    await second.disconnect()
    await first.disconnect()
    gone = await receive_until(console, "patron.connection")
    assert (gone["chat_id"], gone["here"], gone["gone_since"]) == (chat.pk, False, ANY)
    back, _ = await open_patron(token)
    again = await receive_until(console, "patron.connection")
    assert (again["chat_id"], again["here"], again["gone_since"]) == (chat.pk, True, None)
    await close(back, console)
