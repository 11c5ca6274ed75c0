"""``assert_events_exactly`` passes on exactly the events sent, and fails on anything else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent
from refdesk.chats.selectors import chat_summary, get_chat_for_staff
from refdesk.core import realtime
from refdesk.core.db import run_action
from refdesk.tickets.actions import do_create_ticket
from refdesk.tickets.models import Ticket
from tests.support import ANY, Matches, assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db(transaction=True)


def file_ticket(campus: Campus) -> Ticket:
    return do_create_ticket(
        campus, patron_name="Kim", patron_email="kim@example.edu", question="Renew by email?"
    )


def ticket_created(ticket: Ticket) -> tuple[Any, ...]:
    return (
        ["staff"],
        {
            "type": "ticket.created",
            "ticket": {
                "id": ticket.pk,
                "state": "new",
                "campus": "north",
                "campus_name": "North Campus Library",
                "name": "Kim",
                "email": "kim@example.edu",
                "question": "Renew by email?",
                "created_at": ticket.created_at.isoformat(),
                "source": "form",
                "chat_id": None,
                "owner": None,
                "owner_id": None,
                "updated_at": None,
                "closed_at": None,
            },
        },
    )


@pytest.fixture
def claim(
    make_campus: Callable[..., Campus], make_librarian: Callable[..., Librarian]
) -> tuple[list[Any], Chat, Librarian, list[tuple[Any, ...]]]:
    """Ana's claim of a waiting chat: what it sent, and exactly what it should have sent."""
    ana = make_librarian("ana")
    chat, _token = actions.do_create_chat(
        Campus.objects.get(slug="north"), patron_name="Sam", patron_email="", question="Hi?"
    )
    with capture_events() as events:
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
    claimed = get_chat_for_staff(chat.pk)
    assert claimed is not None
    expected = [
        (
            "staff",
            {
                "type": "chat.claimed",
                "event_id": ChatEvent.objects.get(type="chat.claimed").pk,
                "chat_id": chat.pk,
                "by": "Ana",
                "by_id": ana.pk,
                "chat": chat_summary(claimed),
            },
        ),
        (
            [f"chat.{chat.pk}"],
            {"type": "chat.claimed", "chat_id": chat.pk, "by": "Ana"},
            {"librarian_id": ana.pk, "patron_only": True},
        ),
    ]
    # The claim's own two events; the claimer's presence (one more active chat) follows.
    assert [sent.event["type"] for sent in events] == ["chat.claimed", "chat.claimed", "presence"]
    return events[:2], chat, ana, expected


def test_the_exact_events_in_order_with_their_groups_pass(claim: Any) -> None:
    events, _chat, _ana, expected = claim
    assert_events_exactly(events, expected)
    # The meta is only compared when the expected item names it.
    assert_events_exactly(events, [expected[0], expected[1][:2]])


def test_an_extra_event_fails(claim: Any) -> None:
    events, _chat, _ana, expected = claim
    with pytest.raises(AssertionError, match=r"event 1: not expected, but sent"):
        assert_events_exactly(events, expected[:1])
    with pytest.raises(AssertionError, match=r"event 0: not expected, but sent"):
        assert_events_exactly(events[:1], [])


def test_a_missing_event_fails(claim: Any) -> None:
    events, chat, _ana, expected = claim
    ended = ([f"chat.{chat.pk}"], {"type": "chat.ended", "chat_id": chat.pk, "reason": "closed"})
    with pytest.raises(AssertionError, match=r"event 2: expected, but never sent"):
        assert_events_exactly(events, [*expected, ended])
    with pytest.raises(AssertionError, match=r"event 0: expected, but never sent"):
        assert_events_exactly([], expected[:1])


def test_a_wrong_group_fails(claim: Any) -> None:
    events, chat, _ana, expected = claim
    staff_event, patron_event = expected
    with pytest.raises(AssertionError, match=r"event 0 \(chat.claimed\): sent to \('staff',\)"):
        assert_events_exactly(events, [(f"chat.{chat.pk}", staff_event[1]), patron_event])
    # One group too many is as wrong as the wrong one.
    with pytest.raises(AssertionError, match=r"sent to \('chat.\d+',\), expected"):
        assert_events_exactly(
            events, [staff_event, ([f"chat.{chat.pk}", "staff"], *patron_event[1:])]
        )


def test_a_wrong_missing_or_extra_field_fails(claim: Any) -> None:
    events, _chat, _ana, expected = claim
    (groups, event), patron_event = expected
    with pytest.raises(AssertionError, match=r"\['by'\]: expected 'Ben', got 'Ana'"):
        assert_events_exactly(events, [(groups, {**event, "by": "Ben"}), patron_event])
    wrong = {**event, "chat": {**event["chat"], "state": "waiting"}}
    with pytest.raises(AssertionError, match=r"\['chat'\]\['state'\]: expected 'waiting'"):
        assert_events_exactly(events, [(groups, wrong), patron_event])
    fewer = {key: value for key, value in event.items() if key != "by_id"}
    with pytest.raises(AssertionError, match=r"unexpected key 'by_id'"):
        assert_events_exactly(events, [(groups, fewer), patron_event])
    with pytest.raises(AssertionError, match=r"missing key 'note'"):
        assert_events_exactly(events, [(groups, {**event, "note": ""}), patron_event])


def test_a_wrong_meta_or_order_fails(claim: Any) -> None:
    events, _chat, ana, expected = claim
    staff_event, (groups, event, _meta) = expected
    with pytest.raises(AssertionError, match=r"event 1 meta\['librarian_id'\]"):
        assert_events_exactly(events, [staff_event, (groups, event, {"librarian_id": ana.pk + 1})])
    with pytest.raises(AssertionError, match=r"event 0 \(chat.claimed\): sent to"):
        assert_events_exactly(events, [expected[1], expected[0]])


def test_a_volatile_value_may_be_matched_by_a_predicate_that_must_still_hold(claim: Any) -> None:
    events, _chat, _ana, expected = claim
    (groups, event), patron_event = expected
    positive = Matches(lambda value: isinstance(value, int) and value > 0, "a positive id")
    assert_events_exactly(events, [(groups, {**event, "event_id": positive}), patron_event])
    assert_events_exactly(events, [(groups, {**event, "chat": ANY}), patron_event])
    negative = Matches(lambda value: value < 0, "a negative id")
    with pytest.raises(AssertionError, match=r"\['event_id'\]: expected <a negative id>"):
        assert_events_exactly(events, [(groups, {**event, "event_id": negative}), patron_event])


def test_a_transaction_that_rolls_back_sends_nothing(make_campus: Callable[..., Campus]) -> None:
    campus = make_campus("north")

    def file_then_fail() -> None:
        with transaction.atomic():
            file_ticket(campus)
            raise RuntimeError("the surrounding work failed")

    with capture_events() as events, pytest.raises(RuntimeError):
        file_then_fail()
    assert_events_exactly(events, [])
    assert Ticket.objects.count() == 0


def test_only_the_block_is_captured_and_the_sends_are_restored_after_it(
    make_campus: Callable[..., Campus],
) -> None:
    campus = make_campus("north")
    send = realtime._after_commit
    file_ticket(campus)
    with capture_events() as events:
        ticket = file_ticket(campus)
    file_ticket(campus)
    assert_events_exactly(events, [ticket_created(ticket)])
    assert realtime._after_commit is send


async def test_an_action_run_from_async_code_is_captured_and_its_events_still_sent(
    make_campus: Callable[..., Campus],
) -> None:
    campus = await database_sync_to_async(make_campus)("north")
    layer = realtime.get_layer()
    listener = await layer.new_channel()
    await layer.group_add("staff", listener)
    try:
        with capture_events() as events:
            ticket = await run_action(file_ticket, campus)
            # The database thread's outbox is published when run_action returns.
            received = await asyncio.wait_for(layer.receive(listener), timeout=5)
        assert_events_exactly(events, [ticket_created(ticket)])
        assert json.loads(received["text"]) == events[0].event
    finally:
        await layer.group_discard("staff", listener)
