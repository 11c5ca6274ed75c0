"""Nobody stranded: the chats of a librarian who left go back to their queue after the
grace period, and a supervisor can take over any active chat.

The grace period runs on stored times (``gone_since`` moved back by hand), not sleeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from refdesk.accounts.actions import do_close_console, do_end_grace_periods, do_open_console
from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from tests.chats.test_transfers import last_line, race, summary
from tests.support import (
    assert_events_exactly,
    capture_events,
    open_staff,
    presence_event,
    receive_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    """Ana (north) and Ben (south) with consoles open; Dee, a north supervisor, too."""
    people = {
        "ana": make_librarian("ana"),
        "ben": make_librarian("ben", campus="south"),
        "dee": make_librarian("dee", role="supervisor"),
    }
    for name, librarian in people.items():
        do_open_console(librarian, channel_name=f"console-{name}", process="test")
    return people


@pytest.fixture
def held(new_chat: Callable[..., Any], staff: dict[str, Librarian]) -> Chat:
    """A south patron's chat that Ana holds."""
    chat, _ = new_chat("south", name="Sam", question="Can I renew online?")
    return actions.do_claim_chat(chat.pk, acting_librarian=staff["ana"])


def leave_the_desk(librarian: Librarian, *, seconds_ago: int) -> None:
    """The librarian's last console closed ``seconds_ago``."""
    do_close_console(librarian, channel_name=f"console-{librarian.user.username}")
    Librarian.objects.filter(pk=librarian.pk).update(
        gone_since=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )


# ---------------------------------------------------------------------------
# A librarian who left
# ---------------------------------------------------------------------------


def test_a_departed_librarian_s_chats_wait_out_the_grace_period_then_go_back_to_their_queue(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana = staff["ana"]
    leave_the_desk(ana, seconds_ago=59)
    assert do_end_grace_periods() == []
    assert Chat.objects.get(pk=held.pk).librarian_id == ana.pk

    Librarian.objects.filter(pk=ana.pk).update(gone_since=timezone.now() - dt.timedelta(seconds=60))
    before = timezone.now()
    with capture_events() as events:
        # The grace-period job takes her offline and gives her chat back, in one commit.
        assert do_end_grace_periods() == [ana.pk]
        # Every process runs the job: the next run finds nothing to do.
        assert do_end_grace_periods() == []

    chat = Chat.objects.get(pk=held.pk)
    assert (chat.state, chat.librarian_id, chat.claimed_at, chat.campus.slug) == (
        "waiting",
        None,
        None,
        "south",
    )
    # Waiting again, from now: its campus first, then the ticket offer.
    assert chat.waiting_since is not None
    assert chat.waiting_since >= before
    assert chat.home_until == chat.waiting_since + dt.timedelta(seconds=20)
    assert chat.ticket_offer_at == chat.waiting_since + dt.timedelta(seconds=60)
    line = Message.objects.filter(chat=chat).order_by("-seq").first()
    assert line is not None
    assert (line.sender, line.body) == (
        "system",
        "Ana had to leave. Another librarian will pick up your chat shortly.",
    )
    event = ChatEvent.objects.get(chat=chat, type="chat.transferred")
    assert (event.actor_id, event.data["reason"], event.data["to_campus"]) == (
        None,
        "departed",
        "south",
    )
    assert_events_exactly(
        events,
        [
            ((f"chat.{held.pk}", STAFF_GROUP), last_line(held.pk)),
            (
                STAFF_GROUP,
                {
                    "type": "chat.transferred",
                    "event_id": event.pk,
                    "chat_id": held.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "to": None,
                    "to_id": None,
                    "to_campus": "south",
                    "reason": "departed",
                    "chat": summary(held.pk),
                },
            ),
            (
                f"chat.{held.pk}",
                {
                    "type": "chat.transferred",
                    "chat_id": held.pk,
                    "to": None,
                    "campus_name": "South Campus Library",
                },
                {"librarian_id": None, "state": "waiting", "patron_only": True},
            ),
            # One chat fewer, then offline: both are how she is at the commit.
            presence_event(ana, status="offline", active_chats=0),
            presence_event(ana, status="offline", active_chats=0),
        ],
    )


def test_a_librarian_who_never_had_a_console_keeps_their_chats(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    """Chats claimed by a script (the benchmark's setup, a test) are not stranded: only a
    departure, a grace period that ran out, sends chats back."""
    eve = make_librarian("eve")
    chat, _ = new_chat()
    actions.do_claim_chat(chat.pk, acting_librarian=eve)
    assert do_end_grace_periods(now=timezone.now() + dt.timedelta(days=1)) == []
    assert Chat.objects.get(pk=chat.pk).librarian_id == eve.pk


def test_a_librarian_back_within_the_grace_period_keeps_their_chats(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana = staff["ana"]
    leave_the_desk(ana, seconds_ago=30)
    do_open_console(ana, channel_name="console-ana-again", process="test")
    Librarian.objects.filter(pk=ana.pk).update(gone_since=None)
    assert do_end_grace_periods(now=timezone.now() + dt.timedelta(minutes=5)) == []
    assert Chat.objects.get(pk=held.pk).librarian_id == ana.pk


def test_a_deactivated_librarian_s_chats_go_back_saying_so(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana = staff["ana"]
    get_user_model().objects.filter(pk=ana.user_id).update(is_active=False)
    leave_the_desk(ana, seconds_ago=61)
    assert do_end_grace_periods() == [ana.pk]
    event = ChatEvent.objects.get(chat=held, type="chat.transferred")
    assert event.data["reason"] == "deactivated"
    assert Message.objects.filter(chat=held).order_by("-seq")[0].body == (
        "Ana is no longer available. Another librarian will pick up your chat shortly."
    )


# ---------------------------------------------------------------------------
# A supervisor takes over
# ---------------------------------------------------------------------------


def test_a_supervisor_takes_over_an_active_chat_and_everyone_is_told(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben, dee = staff["ana"], staff["ben"], staff["dee"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    with capture_events() as events:
        taken = actions.do_take_over_chat(held.pk, acting_librarian=dee)
    assert (taken.state, taken.librarian_id, taken.offer_to_id) == ("active", dee.pk, None)
    line = Message.objects.filter(chat=held).order_by("-seq").first()
    assert line is not None
    assert (line.sender, line.body) == ("system", "Dee took over the chat from Ana.")
    event = ChatEvent.objects.get(chat=held, type="chat.transferred")
    assert (event.actor_id, event.data["reason"]) == (dee.pk, "taken_over")
    assert_events_exactly(
        events,
        [
            ((f"chat.{held.pk}", f"librarian.{dee.pk}", f"librarian.{ana.pk}"), last_line(held.pk)),
            (
                STAFF_GROUP,
                {
                    "type": "chat.transferred",
                    "event_id": event.pk,
                    "chat_id": held.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "to": "Dee",
                    "to_id": dee.pk,
                    "to_campus": None,
                    "reason": "taken_over",
                    "chat": summary(held.pk),
                },
            ),
            (
                f"chat.{held.pk}",
                {
                    "type": "chat.transferred",
                    "chat_id": held.pk,
                    "to": "Dee",
                    "campus_name": "South Campus Library",
                },
                {"librarian_id": dee.pk, "state": "active", "patron_only": True},
            ),
            presence_event(ana, status="online", active_chats=0),
            presence_event(dee, status="online", active_chats=1),
        ],
    )
    # Ana can no longer send in it.
    with pytest.raises(ActionError) as caught:
        actions.check_send_librarian_message(held.pk, acting_librarian=ana, client_id="", body="hi")
    assert caught.value.code == "not_yours"


def test_a_take_over_that_cannot_be_is_refused_and_changes_nothing(
    new_chat: Callable[..., Any], held: Chat, staff: dict[str, Librarian]
) -> None:
    dee = staff["dee"]
    waiting, _ = new_chat()
    mine, _ = new_chat()
    actions.do_claim_chat(mine.pk, acting_librarian=dee)
    ended, _ = new_chat()
    actions.do_end_chat(ended, reason="patron_left")
    cases = {
        waiting.pk: "invalid",
        mine.pk: "invalid",
        ended.pk: "chat_ended",
        10**9: "not_found",
    }
    for chat_id, code in cases.items():
        before = Chat.objects.filter(pk=chat_id).values("state", "librarian_id").first()
        with capture_events() as events, pytest.raises(ActionError) as caught:
            actions.do_take_over_chat(chat_id, acting_librarian=dee)
        assert caught.value.code == code, chat_id
        assert_events_exactly(events, [])
        assert Chat.objects.filter(pk=chat_id).values("state", "librarian_id").first() == before


async def test_only_a_supervisor_may_take_over_through_the_console(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ben_ws, _ = await open_staff(staff["ben"])
    await ben_ws.send_json_to({"type": "chat.take_over", "chat_id": held.pk, "ref": "t1"})
    refused = await receive_until(ben_ws, "error")
    assert (refused["code"], refused["ref"]) == ("forbidden", "t1")
    dee_ws, _ = await open_staff(staff["dee"])
    await dee_ws.send_json_to({"type": "chat.take_over", "chat_id": held.pk, "ref": "t2"})
    ack = await receive_until(dee_ws, "ack")
    assert (ack["ref"], ack["chat"]["claimed_by"]) == ("t2", "Dee")
    moved = await receive_until(ben_ws, "chat.transferred")
    assert (moved["from"], moved["to"], moved["reason"]) == ("Ana", "Dee", "taken_over")
    await ben_ws.disconnect()
    await dee_ws.disconnect()


@pytest.mark.engines
def test_a_take_over_racing_the_holder_s_end_or_another_take_over_has_one_outcome(
    new_chat: Callable[..., Any], staff: dict[str, Librarian], make_librarian: Any
) -> None:
    ana, dee = staff["ana"], staff["dee"]
    eve = make_librarian("eve", role="supervisor")
    for _ in range(6):
        chat, _ = new_chat("south")
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
        found = Chat.objects.get(pk=chat.pk)
        take, end = race(
            lambda c=chat: actions.do_take_over_chat(c.pk, acting_librarian=dee),
            lambda c=found: actions.do_end_chat(
                c, reason="closed", acting_librarian=ana, holder=ana.pk
            ),
        )
        row = Chat.objects.get(pk=chat.pk)
        if take == "ok":
            assert end == "not_yours"
            assert (row.state, row.librarian_id) == ("active", dee.pk)
        else:
            assert (take, end) == ("chat_ended", "ok")
            assert (row.state, row.librarian_id) == ("ended", ana.pk)

        second, _ = new_chat("south")
        actions.do_claim_chat(second.pk, acting_librarian=ana)
        outcomes = race(
            lambda c=second: actions.do_take_over_chat(c.pk, acting_librarian=dee),
            lambda c=second: actions.do_take_over_chat(c.pk, acting_librarian=eve),
        )
        # Read at the same moment (PostgreSQL), one update wins and the other finds the
        # holder changed; one after the other (SQLite's one writer), the second takes it
        # from the first. Either way every take-over that said ok happened, once.
        assert sorted(outcomes) in (["not_yours", "ok"], ["ok", "ok"]), outcomes
        moves = ChatEvent.objects.filter(chat=second, type="chat.transferred").order_by("pk")
        assert moves.count() == outcomes.count("ok")
        last = moves.last()
        assert last is not None
        assert Chat.objects.get(pk=second.pk).librarian_id == last.data["to_id"]


@pytest.mark.parametrize("chat_id", [None, "1", True, -1, 0, 2**63, 1.5, [1], {"id": 1}])
async def test_a_take_over_with_a_malformed_chat_id_is_refused(
    held: Chat, staff: dict[str, Librarian], chat_id: Any
) -> None:
    dee_ws, _ = await open_staff(staff["dee"])
    await dee_ws.send_json_to({"type": "chat.take_over", "chat_id": chat_id, "ref": "bad"})
    refused = await receive_until(dee_ws, "error")
    assert (refused["code"], refused["field"], refused["ref"]) == ("invalid", "chat_id", "bad")
    await dee_ws.disconnect()
    assert (await Chat.objects.aget(pk=held.pk)).librarian_id == staff["ana"].pk


@pytest.mark.parametrize("status", ["offline", "", "Away", "away\u0000", None, 1, ["away"]])
async def test_presence_set_through_the_console_refuses_what_is_not_online_or_away(
    staff: dict[str, Librarian], status: Any
) -> None:
    ana_ws, _ = await open_staff(staff["ana"])
    await ana_ws.send_json_to({"type": "presence.set", "status": status, "ref": "p"})
    refused = await receive_until(ana_ws, "error")
    assert (refused["code"], refused["field"]) == ("invalid", "status")
    await ana_ws.send_json_to({"type": "presence.set", "status": "away", "ref": "q"})
    ack = await receive_until(ana_ws, "ack")
    assert (ack["ref"], ack["presence"]["status"], ack["presence"]["active_chats"]) == (
        "q",
        "away",
        0,
    )
    await ana_ws.disconnect()
