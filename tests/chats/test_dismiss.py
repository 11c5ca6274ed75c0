"""A supervisor dismisses a batch of spam chats from the queue in one action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import chat_summary, get_chat_for_staff
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from tests.support import (
    assert_events_exactly,
    capture_events,
    close,
    open_patron,
    open_staff,
    receive_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    return {
        "ana": make_librarian("ana", campus="north"),
        "dee": make_librarian("dee", campus="north", role="supervisor"),
        "root": make_librarian("root", campus="south", role="admin"),
    }


def rows(chat_ids: list[int]) -> list[tuple[Any, ...]]:
    return list(
        Chat.objects.filter(pk__in=chat_ids)
        .order_by("pk")
        .values_list("pk", "state", "end_reason", "librarian_id", "last_seq")
    )


def dismissal_events(chat_ids: list[int]) -> list[tuple[Any, ...]]:
    """For each dismissed chat, in order, exactly what ending it alone would have sent."""
    expected: list[tuple[Any, ...]] = []
    for chat_id in chat_ids:
        chat = get_chat_for_staff(chat_id)
        assert chat is not None
        line = Message.objects.get(chat_id=chat_id, seq=chat.last_seq)
        event = ChatEvent.objects.get(chat_id=chat_id, type="chat.ended")
        expected += [
            (
                f"chat.{chat_id}",
                {
                    "type": "message",
                    "chat_id": chat_id,
                    "seq": chat.last_seq,
                    "sender": "system",
                    "sender_name": "",
                    "body": "The chat has ended.",
                    "client_id": "",
                    "sent_at": line.created_at.isoformat(),
                },
            ),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": event.pk,
                    "chat_id": chat_id,
                    "reason": "dismissed",
                    "chat": chat_summary(chat),
                },
            ),
            (f"chat.{chat_id}", {"type": "chat.ended", "chat_id": chat_id, "reason": "dismissed"}),
        ]
    return expected


@pytest.mark.engines
def test_dismissing_ends_the_waiting_chats_and_skips_the_others(
    people: dict[str, Librarian], new_chat: Callable[..., Any]
) -> None:
    spam = [new_chat(name=f"Spam {i}", question="Cheap watches")[0] for i in range(3)]
    held = new_chat(name="Real")[0]
    actions.do_claim_chat(held.pk, acting_librarian=people["ana"])
    gone = new_chat(name="Gone")[0]
    actions.do_end_chat(gone, reason="patron_left")
    events_before = ChatEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]

    listed = [spam[1].pk, held.pk, spam[0].pk, gone.pk, 999_999, spam[2].pk, spam[1].pk]
    with capture_events() as sent:
        dismissed, skipped = actions.check_dismiss_chats(
            listed, acting_librarian=people["dee"], reason="Spam from the lab"
        )

    ids = [spam[1].pk, spam[0].pk, spam[2].pk]
    assert dismissed == ids
    assert skipped == [held.pk, gone.pk, 999_999]
    assert rows([c.pk for c in [*spam, held, gone]]) == sorted(
        [
            *[(c.pk, "ended", "dismissed", None, 2) for c in spam],
            (held.pk, "active", "", people["ana"].pk, 1),
            (gone.pk, "ended", "patron_left", None, 2),
        ]
    )
    for chat_id in ids:
        assert list(
            Message.objects.filter(chat_id=chat_id).values_list("seq", "sender", "body")
        ) == [(1, "patron", "Cheap watches"), (2, "system", "The chat has ended.")]
    events = list(ChatEvent.objects.filter(pk__gt=events_before).order_by("pk"))
    assert [(e.chat_id, e.type, e.actor_id) for e in events] == [
        (chat_id, "chat.ended", people["dee"].pk) for chat_id in ids
    ]
    assert [e.data["note"] for e in events] == ["Spam from the lab"] * 3

    # For each chat, exactly what ending it one by one would have sent, in the same order.
    expected = dismissal_events(ids)
    assert_events_exactly(sent, expected)
    assert all(e[1]["chat"]["end_reason"] == "dismissed" for e in expected[1::3])


def test_a_librarian_may_not_dismiss_and_nothing_changes(
    people: dict[str, Librarian], new_chat: Callable[..., Any]
) -> None:
    chat = new_chat()[0]
    with capture_events() as sent, pytest.raises(ActionError) as refused:
        actions.check_dismiss_chats([chat.pk], acting_librarian=people["ana"])
    assert refused.value.code == "forbidden"
    assert rows([chat.pk]) == [(chat.pk, "waiting", "", None, 1)]
    assert_events_exactly(sent, [])


@pytest.mark.parametrize(
    ("frame", "refusal"),
    [
        ({"chat_ids": None, "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": "1,2", "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": {"1": 1}, "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, "2"], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, 0], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, -2], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, True], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, 2.5], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, 2**64], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1, [2]], "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": list(range(1, 202)), "reason": None}, ("invalid", "chat_ids")),
        ({"chat_ids": [1], "reason": 5}, ("invalid", "reason")),
        ({"chat_ids": [1], "reason": "x" * 201}, ("too_long", "reason")),
    ],
)
def test_bad_dismissals_are_refused_and_change_nothing(
    people: dict[str, Librarian],
    new_chat: Callable[..., Any],
    frame: dict[str, Any],
    refusal: tuple[str, str],
) -> None:
    chat = new_chat()[0]
    with capture_events() as sent, pytest.raises(ActionError) as refused:
        actions.check_dismiss_chats(
            frame["chat_ids"], acting_librarian=people["dee"], reason=frame["reason"]
        )
    assert (refused.value.code, refused.value.extra["field"]) == refusal
    assert rows([chat.pk]) == [(chat.pk, "waiting", "", None, 1)]
    assert_events_exactly(sent, [])


def test_two_hundred_ids_are_one_frame_s_worth(
    people: dict[str, Librarian], new_chat: Callable[..., Any]
) -> None:
    chat = new_chat()[0]
    dismissed, skipped = actions.check_dismiss_chats(
        [chat.pk, *range(10**6, 10**6 + 199)], acting_librarian=people["root"]
    )
    assert (dismissed, len(skipped)) == ([chat.pk], 199)
    assert ChatEvent.objects.get(chat=chat, type="chat.ended").data.get("note") is None


@pytest.mark.django_db
def test_a_dismissal_costs_a_few_queries_however_many_chats_it_ends(
    people: dict[str, Librarian],
    new_chat: Callable[..., Any],
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """The update that decides (1), the ended chats (1), their system lines (1) and their
    events (1), in one transaction (a savepoint and its release under the test's own). At
    200 chats SQLite's 999-parameter cap splits the INSERTs: the events' in two, the lines'
    (ten columns, 99 rows a statement) in three: 9 at most."""
    few = [new_chat(name=f"Spam {i}")[0].pk for i in range(2)]
    with django_assert_num_queries(6):
        assert actions.do_dismiss_chats(few, acting_librarian=people["dee"])[0] == few
    many = [new_chat(name=f"Spam {i}")[0].pk for i in range(200)]
    with django_assert_max_num_queries(9):
        assert actions.do_dismiss_chats(many, acting_librarian=people["dee"])[0] == many


@pytest.mark.engines
def test_a_claim_and_a_dismissal_of_the_same_chat_have_one_winner(
    people: dict[str, Librarian], new_chat: Callable[..., Any]
) -> None:
    first, second = new_chat()[0], new_chat()[0]
    actions.do_dismiss_chats([first.pk], acting_librarian=people["dee"])
    with pytest.raises(ActionError) as late:
        actions.do_claim_chat(first.pk, acting_librarian=people["ana"])
    assert (late.value.code, late.value.extra["end_reason"]) == ("chat_ended", "dismissed")
    actions.do_claim_chat(second.pk, acting_librarian=people["ana"])
    assert actions.do_dismiss_chats([second.pk], acting_librarian=people["dee"]) == (
        [],
        [second.pk],
    )
    assert rows([second.pk]) == [(second.pk, "active", "", people["ana"].pk, 1)]


@pytest.mark.engines
async def test_a_supervisor_dismisses_from_the_console_and_everyone_hears_it(
    people: dict[str, Librarian], new_chat: Callable[..., Any]
) -> None:
    spam = [(await database_sync_to_async(new_chat)(name=f"Spam {i}")) for i in range(2)]
    real, _ = await database_sync_to_async(new_chat)(name="Real")
    dee_ws, _ = await open_staff(people["dee"])
    ana_ws, _ = await open_staff(people["ana"])
    patron, _state = await open_patron(spam[0][1])
    ids = [chat.pk for chat, _token in spam]

    with capture_events() as sent:
        await ana_ws.send_json_to({"type": "chat.dismiss", "chat_ids": ids, "ref": "no"})
        refused = await receive_until(ana_ws, "error")
        assert (refused["code"], refused["ref"]) == ("forbidden", "no")
        assert_events_exactly(sent, [])

        await dee_ws.send_json_to(
            {"type": "chat.dismiss", "chat_ids": [*ids, real.pk + 1000], "reason": "spam", "ref": 5}
        )
        ack = await receive_until(dee_ws, "ack")
    assert ack == {"type": "ack", "ref": 5, "dismissed": ids, "skipped": [real.pk + 1000]}
    # The console's dismissal runs on the database thread: the same events, all of them.
    assert_events_exactly(sent, await database_sync_to_async(dismissal_events)(ids))
    ended = [await receive_until(ana_ws, "chat.ended") for _ in ids]
    assert [(e["chat_id"], e["reason"]) for e in ended] == [(i, "dismissed") for i in ids]
    line = await receive_until(patron, "message")
    assert (line["sender"], line["body"]) == ("system", "The chat has ended.")
    assert await receive_until(patron, "chat.ended") == {
        "type": "chat.ended",
        "chat_id": ids[0],
        "reason": "dismissed",
    }
    again, snapshot = await open_staff(people["ana"])
    assert [c["id"] for c in snapshot["waiting"]] == [real.pk]
    await close(dee_ws, ana_ws, patron, again)
