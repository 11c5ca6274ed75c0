"""One batch of messages from many senders: each gets its own answer, as if sent alone.

SQLite stores a batch in a few statements for the whole batch and PostgreSQL in one
conditional UPDATE per message; both must answer every message of a mixed batch the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.actions import NewMessage
from refdesk.chats.models import EndReason, Message, Sender
from refdesk.chats.selectors import message_payload
from refdesk.core.errors import ActionError
from tests.support import assert_events_exactly, capture_events

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.engines]


def _patron(chat_id: int, client_id: str, body: str = "hello") -> NewMessage:
    return NewMessage(chat_id, Sender.PATRON, body, client_id)


def _librarian(chat_id: int, librarian: Librarian, client_id: str) -> NewMessage:
    return NewMessage(
        chat_id,
        Sender.LIBRARIAN,
        f"answer {client_id}",
        client_id,
        librarian_id=librarian.pk,
        librarian_name=librarian.display_name,
    )


def _codes(results: list[dict[str, Any] | ActionError]) -> list[Any]:
    return [r.code if isinstance(r, ActionError) else r["seq"] for r in results]


def _broadcast(chat_id: int, seq: int) -> dict[str, Any]:
    """The ``message`` event of a stored message, as a reconnecting client reads it."""
    return message_payload(Message.objects.get(chat_id=chat_id, seq=seq))


def test_a_mixed_batch_answers_each_message_as_if_it_came_alone(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    ben = make_librarian("ben", campus="south")
    held, _ = new_chat(name="Held")
    waiting, _ = new_chat(name="Waiting")
    ended, _ = new_chat(name="Ended")
    actions.do_claim_chat(held.pk, acting_librarian=ana)
    actions.do_end_chat(ended, reason=EndReason.CLOSED)

    with capture_events() as events:
        results = actions.do_store_messages(
            [
                _patron(held.pk, "p1"),
                _librarian(held.pk, ana, "a1"),
                _patron(waiting.pk, "w1"),
                _librarian(held.pk, ben, "b1"),  # ben does not hold it
                _patron(ended.pk, "e1"),  # ended
                _patron(999_999, "x1"),  # no such chat
                _librarian(waiting.pk, ana, "a2"),  # nobody holds a waiting chat
                _patron(held.pk, "p1"),  # the same resend, twice in one batch
                _patron(held.pk, "p2"),
            ]
        )

    assert _codes(results) == [
        2,
        3,
        2,
        "not_yours",
        "chat_ended",
        "not_found",
        "not_yours",
        2,
        4,
    ]
    assert results[7] == results[0]
    stored = list(Message.objects.filter(chat=held).order_by("seq").values_list("seq", "sender"))
    assert stored == [(1, "patron"), (2, "patron"), (3, "librarian"), (4, "patron")]
    assert Message.objects.filter(chat=waiting).count() == 2
    assert Message.objects.filter(chat=ended, client_id="e1").count() == 0
    names = {r["client_id"]: r["sender_name"] for r in results if isinstance(r, dict)}
    assert names == {"p1": "Held", "a1": ana.display_name, "w1": "Waiting", "p2": "Held"}
    # One broadcast per stored message, the resend and the refusals none.
    held_groups = (f"chat.{held.pk}", f"librarian.{ana.pk}")
    assert_events_exactly(
        events,
        [
            (held_groups, _broadcast(held.pk, 2)),
            (held_groups, _broadcast(held.pk, 3)),
            (f"chat.{waiting.pk}", _broadcast(waiting.pk, 2)),
            (held_groups, _broadcast(held.pk, 4)),
        ],
    )


def test_a_batch_of_resends_is_answered_from_what_was_stored(
    new_chat: Callable[..., Any], make_librarian: Callable[..., Librarian]
) -> None:
    ana = make_librarian("ana")
    ben = make_librarian("ben", campus="south")
    chat, _ = new_chat()
    actions.do_claim_chat(chat.pk, acting_librarian=ana)
    (first,) = actions.do_store_messages([_librarian(chat.pk, ana, "a1")])

    # The unique index refuses the resend; the batch is written again, looking it up.
    with capture_events() as events:
        again = actions.do_store_messages(
            [
                _patron(chat.pk, "p1"),
                _librarian(chat.pk, ana, "a1"),
                _librarian(chat.pk, ben, "a1"),  # another librarian's id is no key to its text
            ]
        )

    assert again[1] == first
    assert isinstance(again[2], ActionError)
    assert again[2].code == "not_yours"
    assert _codes(again)[0] == 3
    assert Message.objects.filter(chat=chat).count() == 3
    assert_events_exactly(
        events, [((f"chat.{chat.pk}", f"librarian.{ana.pk}"), _broadcast(chat.pk, 3))]
    )


def test_many_messages_to_many_chats_in_one_batch_keep_every_seq(
    new_chat: Callable[..., Any],
) -> None:
    chats = [new_chat(name=f"Patron {i}")[0] for i in range(12)]
    batch = [_patron(chat.pk, f"m{n}-{chat.pk}") for n in range(5) for chat in chats]

    results = actions.do_store_messages(batch)

    assert all(isinstance(r, dict) for r in results)
    for chat in chats:
        seqs = list(Message.objects.filter(chat=chat).order_by("seq").values_list("seq", flat=True))
        assert seqs == [1, 2, 3, 4, 5, 6]
        chat.refresh_from_db()
        assert chat.last_seq == 6
