"""From a chat to a ticket, and the ticket workspace: the exact rows and events of each
action, the claim race, and internal notes kept from the patron."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from refdesk.accounts.models import Librarian
from refdesk.chats import actions as chat_actions
from refdesk.chats.models import Chat, ChatEvent, ChatState, Message
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, chat_group, librarian_group
from refdesk.tickets import actions
from refdesk.tickets.models import EntryKind, Ticket, TicketEntry, TicketEvent, TicketState
from refdesk.tickets.selectors import patron_ticket_view, ticket_summary, ticket_with_thread
from tests.support import ANY, assert_events_exactly, capture_events, presence_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ana(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ana", campus="north")


@pytest.fixture
def ben(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ben", campus="south")


def start_chat(email: str = "") -> Chat:
    chat, _token = chat_actions.do_create_chat(
        Chat._meta.get_field("campus").related_model.objects.get(slug="north"),  # type: ignore[union-attr]
        patron_name="Sam",
        patron_email=email,
        question="Do you have the 7th edition of the APA manual?",
    )
    return chat


def summary_of(ticket_id: int) -> dict[str, Any]:
    return dict(ticket_summary(Ticket.objects.select_related("campus", "owner").get(pk=ticket_id)))


# ---------------------------------------------------------------------------
# From a chat to a ticket
# ---------------------------------------------------------------------------


def test_the_holder_makes_a_chat_a_ticket_and_every_console_hears_of_both(ana: Librarian) -> None:
    chat = start_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events:
        ticket = actions.check_ticket_chat_by_librarian(
            chat.pk, acting_librarian=ana, email="sam@example.edu"
        )
    chat.refresh_from_db()
    assert (chat.state, chat.end_reason, chat.patron_email) == (
        ChatState.ENDED,
        "ticketed",
        "sam@example.edu",
    )
    line = Message.objects.get(chat=chat, seq=chat.last_seq)
    assert line.body == "Thanks. Your question will be answered by email at sam@example.edu."
    assert (ticket.chat_id, ticket.campus.slug, ticket.source, ticket.state) == (
        chat.pk,
        "north",
        "chat",
        "new",
    )
    assert (ticket.patron_email, ticket.question) == ("sam@example.edu", chat.question)
    end_event = ChatEvent.objects.filter(chat=chat, type="chat.ended").get()
    assert_events_exactly(
        events,
        [
            (
                [chat_group(chat.pk), librarian_group(ana.pk)],
                {
                    "type": "message",
                    "chat_id": chat.pk,
                    "seq": chat.last_seq,
                    "sender": "system",
                    "sender_name": "",
                    "body": "Thanks. Your question will be answered by email at sam@example.edu.",
                    "client_id": "",
                    "sent_at": ANY,
                },
            ),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": end_event.pk,
                    "chat_id": chat.pk,
                    "reason": "ticketed",
                    "chat": ANY,
                },
            ),
            (
                chat_group(chat.pk),
                {"type": "chat.ended", "chat_id": chat.pk, "reason": "ticketed"},
            ),
            # Ana holds one chat fewer.
            presence_event(ana, active_chats=0),
            (STAFF_GROUP, {"type": "ticket.created", "ticket": summary_of(ticket.pk)}),
        ],
    )
    # The transcript is the chat's, read when the ticket is shown.
    shown = ticket_with_thread(ticket)
    assert [m["body"] for m in shown["transcript"] or []] == [
        chat.question,
        "Thanks. Your question will be answered by email at sam@example.edu.",
    ]


def test_a_chat_without_an_email_is_not_ticketed_until_one_is_given(ana: Librarian) -> None:
    chat = start_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as events, pytest.raises(ActionError) as refused:
        actions.check_ticket_chat_by_librarian(chat.pk, acting_librarian=ana)
    assert (refused.value.code, refused.value.extra["field"]) == ("email_required", "email")
    assert events == []
    assert Chat.objects.get(pk=chat.pk).state == ChatState.ACTIVE
    assert not Ticket.objects.exists()
    # With the email on the chat, no email is needed in the frame.
    chat_actions.do_set_chat_email(chat.pk, email="sam@example.edu")
    ticket = actions.check_ticket_chat_by_librarian(chat.pk, acting_librarian=ana)
    assert ticket.patron_email == "sam@example.edu"


def test_only_the_holder_may_ticket_a_chat(ana: Librarian, ben: Librarian) -> None:
    chat = start_chat("sam@example.edu")
    chat_actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with pytest.raises(ActionError) as refused:
        actions.check_ticket_chat_by_librarian(chat.pk, acting_librarian=ben)
    assert refused.value.code == "not_yours"
    assert not Ticket.objects.exists()


def test_the_patron_takes_the_offer_only_while_the_chat_waits(ana: Librarian) -> None:
    waiting = start_chat()
    with capture_events() as events:
        ticket = actions.check_ticket_chat_by_patron(waiting.pk, email="sam@example.edu")
    assert [e.event["type"] for e in events] == [
        "message",
        "chat.ended",
        "chat.ended",
        "ticket.created",
    ]
    assert events[0].groups == (chat_group(waiting.pk),)  # nobody held it
    assert ticket.chat_id == waiting.pk
    claimed = start_chat()
    chat_actions.do_claim_chat(claimed.pk, acting_librarian=ana)
    with pytest.raises(ActionError) as refused:
        actions.check_ticket_chat_by_patron(claimed.pk, email="sam@example.edu")
    assert refused.value.code == "already_claimed"
    assert Chat.objects.get(pk=claimed.pk).state == ChatState.ACTIVE


def test_an_unanswered_chat_becomes_a_ticket_only_with_an_email(ana: Librarian) -> None:
    with_email, without = start_chat("sam@example.edu"), start_chat()
    ticket = actions.do_ticket_unanswered_chat(with_email.pk)
    assert ticket is not None
    assert Chat.objects.get(pk=with_email.pk).end_reason == "ticketed"
    assert actions.do_ticket_unanswered_chat(without.pk) is None
    assert Chat.objects.get(pk=without.pk).end_reason == "unanswered"
    # Idempotent, and a chat claimed meanwhile is left alone.
    assert actions.do_ticket_unanswered_chat(with_email.pk) is None
    claimed = start_chat("kim@example.edu")
    chat_actions.do_claim_chat(claimed.pk, acting_librarian=ana)
    assert actions.do_ticket_unanswered_chat(claimed.pk) is None
    assert Chat.objects.get(pk=claimed.pk).state == ChatState.ACTIVE
    assert Ticket.objects.count() == 1


def test_the_job_settles_only_chats_that_waited_the_whole_unanswered_time(
    ana: Librarian,
) -> None:
    with_email, without = start_chat("sam@example.edu"), start_chat()
    later = start_chat("late@example.edu")
    claimed = start_chat("kim@example.edu")
    chat_actions.do_claim_chat(claimed.pk, acting_librarian=ana)
    # The third began to wait later: it is not due when the first two are.
    Chat.objects.filter(pk=later.pk).update(
        waiting_since=with_email.waiting_since + dt.timedelta(minutes=10)  # type: ignore[operator]
    )
    assert without.waiting_since is not None
    due = without.waiting_since + dt.timedelta(minutes=15)
    assert actions.do_close_unanswered_chats(now=due - dt.timedelta(seconds=1)) == 0
    assert actions.do_close_unanswered_chats(now=due) == 2
    states = dict(Chat.objects.values_list("pk", "end_reason"))
    assert (states[with_email.pk], states[without.pk]) == ("ticketed", "unanswered")
    assert (states[later.pk], states[claimed.pk]) == ("", "")
    assert list(Ticket.objects.values_list("chat_id", "patron_email")) == [
        (with_email.pk, "sam@example.edu")
    ]
    # Settled once: a second run, from this process or another, finds nothing due.
    assert actions.do_close_unanswered_chats(now=due) == 0


def test_asking_for_an_email_reaches_the_patron_and_the_answer_every_console(
    ana: Librarian,
) -> None:
    chat = start_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=ana)
    with capture_events() as asked:
        chat_actions.check_ask_email(chat.pk, acting_librarian=ana)
    assert_events_exactly(
        asked, [(chat_group(chat.pk), {"type": "email.requested", "chat_id": chat.pk})]
    )
    with capture_events() as answered:
        chat_actions.check_set_chat_email(chat.pk, email="  sam@example.edu ")
    stored = Chat.objects.get(pk=chat.pk)
    assert stored.patron_email == "sam@example.edu"
    # Kept for the record, not sent as a resume point.
    event = ChatEvent.objects.filter(chat=chat, type="chat.updated").get()
    assert event.data["fields"] == ["patron_email"]
    assert event.data["chat"]["patron_email"] == "sam@example.edu"
    assert_events_exactly(
        answered,
        [
            (
                STAFF_GROUP,
                {
                    "type": "chat.updated",
                    "chat": Matches_email("sam@example.edu"),
                },
            )
        ],
    )


def Matches_email(address: str) -> Any:  # noqa: N802 - reads as a value in the expectation
    from tests.support import Matches

    return Matches(lambda chat: chat["patron_email"] == address, f"a chat with {address}")


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("", "invalid"),
        (None, "invalid"),
        (42, "invalid"),
        ("not an address", "invalid"),
        ("<script>alert(1)</script>@example.edu", "invalid"),
        ("sam@example.edu\nBcc: eve@example.com", "invalid"),
        ("sam@example.edu\u200b", "invalid"),
        ("sam@exa mple.edu", "invalid"),
        ("a" * 250 + "@example.edu", "too_long"),
    ],
)
def test_a_hostile_or_malformed_email_is_refused_and_nothing_changes(
    ana: Librarian, email: object, code: str
) -> None:
    chat = start_chat()
    with capture_events() as events, pytest.raises(ActionError) as refused:
        chat_actions.check_set_chat_email(chat.pk, email=email)
    assert refused.value.code == code
    assert events == []
    assert Chat.objects.get(pk=chat.pk).patron_email == ""


def test_invisible_direction_marks_are_taken_out_of_an_email(ana: Librarian) -> None:
    chat = start_chat()
    chat_actions.check_set_chat_email(chat.pk, email="sam\u202e@example.edu")
    assert Chat.objects.get(pk=chat.pk).patron_email == "sam@example.edu"


# ---------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------


def test_claim_assign_move_note_and_state_each_tell_every_console(
    ana: Librarian, ben: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    with capture_events() as claimed:
        actions.do_claim_ticket(ticket.pk, acting_librarian=ana)
    assert_events_exactly(
        claimed,
        [
            (
                STAFF_GROUP,
                {
                    "type": "ticket.updated",
                    "ticket": summary_of(ticket.pk),
                    "previous_state": "new",
                },
            )
        ],
    )
    assert (summary_of(ticket.pk)["owner"], summary_of(ticket.pk)["state"]) == ("Ana", "open")
    with capture_events() as assigned:
        actions.check_assign_ticket(ticket.pk, to_librarian=ben.pk, acting_librarian=ana)
    assert summary_of(ticket.pk)["owner_id"] == ben.pk
    with capture_events() as moved:
        actions.check_move_ticket(ticket.pk, campus="south", acting_librarian=ben)
    assert summary_of(ticket.pk)["campus"] == "south"
    with capture_events() as noted:
        actions.check_add_note(ticket.pk, acting_librarian=ben, body="Ask <b>Cai</b>.")
    with capture_events() as pending:
        actions.check_set_ticket_state(ticket.pk, state="pending", acting_librarian=ben)
    with capture_events() as closed:
        actions.check_set_ticket_state(ticket.pk, state="closed", acting_librarian=ben)
    final = summary_of(ticket.pk)
    assert (final["state"], final["closed_at"] is not None) == ("closed", True)
    for captured, previous in [
        (assigned, "open"),
        (moved, "open"),
        (noted, "open"),
        (pending, "open"),
        (closed, "pending"),
    ]:
        assert_events_exactly(
            captured,
            [
                (
                    STAFF_GROUP,
                    {"type": "ticket.updated", "ticket": ANY, "previous_state": previous},
                )
            ],
        )
    assert closed[0].event["ticket"] == final
    note = TicketEntry.objects.get()
    assert (note.kind, note.body, note.author_name) == ("note", "Ask <b>Cai</b>.", "Ben")
    assert list(TicketEvent.objects.values_list("type", flat=True)) == [
        "ticket.created",
        *["ticket.updated"] * 6,
    ]
    with pytest.raises(ActionError) as refused:
        actions.check_set_ticket_state(ticket.pk, state="new", acting_librarian=ben)
    assert refused.value.code == "invalid"
    with pytest.raises(ActionError) as refused:
        actions.check_move_ticket(ticket.pk, campus="atlantis", acting_librarian=ben)
    assert refused.value.code == "unknown_campus"


def test_a_second_claim_is_told_who_has_the_ticket(
    ana: Librarian, ben: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    actions.do_claim_ticket(ticket.pk, acting_librarian=ana)
    with capture_events() as events, pytest.raises(ActionError) as refused:
        actions.do_claim_ticket(ticket.pk, acting_librarian=ben)
    assert (refused.value.code, refused.value.extra["by"]) == ("already_claimed", "Ana")
    assert events == []
    assert Ticket.objects.get(pk=ticket.pk).owner_id == ana.pk


@pytest.mark.engines
def test_two_librarians_claiming_at_once_have_one_winner(
    ana: Librarian, ben: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    """Run on SQLite and on PostgreSQL (``-m engines``): each claim on its own thread and
    connection, released together, many times."""
    outcomes: dict[str, int] = {"ana": 0, "ben": 0}
    for _round in range(10):
        ticket = new_ticket()
        start = threading.Barrier(2)

        def claim(
            librarian: Librarian, ticket_id: int = ticket.pk, start: threading.Barrier = start
        ) -> str:
            start.wait()
            try:
                actions.do_claim_ticket(ticket_id, acting_librarian=librarian)
                return "won"
            except ActionError as exc:
                return exc.code
            finally:
                connection.close()

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(claim, [ana, ben]))
        assert sorted(results) == ["already_claimed", "won"], results
        winner = Ticket.objects.get(pk=ticket.pk).owner_id
        assert winner == (ana.pk if results[0] == "won" else ben.pk)
        outcomes["ana" if winner == ana.pk else "ben"] += 1
        assert TicketEvent.objects.filter(ticket=ticket, type="ticket.updated").count() == 1
    print(f"claim race on {connection.vendor}: {outcomes}")  # noqa: T201


def test_the_list_filters_by_owner_and_finds_words_in_the_thread(
    ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    from refdesk.tickets.selectors import NO_OWNER, list_tickets_page

    mine, other = new_ticket(), new_ticket("south", question="Parking permits?")
    actions.do_claim_ticket(mine.pk, acting_librarian=ana)
    actions.check_add_note(mine.pk, acting_librarian=ana, body="Interlibrary LOAN form sent")
    ids = lambda page: [t["id"] for t in page[0]]  # noqa: E731
    assert ids(list_tickets_page(state=None, owner_id=ana.pk)) == [mine.pk]
    assert ids(list_tickets_page(state=None, owner_id=NO_OWNER)) == [other.pk]
    assert ids(list_tickets_page(state=None, search="interlibrary loan")) == [mine.pk]
    assert ids(list_tickets_page(state=None, search="PARKING")) == [other.pk]
    assert ids(list_tickets_page(state=None, search="%")) == []


def test_notes_are_never_in_what_the_patron_sees(
    ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    actions.check_add_note(ticket.pk, acting_librarian=ana, body="SECRET staff note")
    actions.check_reply_ticket(ticket.pk, acting_librarian=ana, client_id="r1", body="Yes.")
    view = patron_ticket_view(Ticket.objects.get(pk=ticket.pk))
    assert [e["kind"] for e in view["thread"]] == ["reply"]
    assert "SECRET" not in str(view)
    assert TicketEntry.objects.filter(kind=EntryKind.NOTE).count() == 1


def test_a_resent_reply_is_stored_once(ana: Librarian, new_ticket: Callable[..., Ticket]) -> None:
    ticket = new_ticket()
    first = actions.check_reply_ticket(ticket.pk, acting_librarian=ana, client_id="r1", body="Yes.")
    again = actions.check_reply_ticket(ticket.pk, acting_librarian=ana, client_id="r1", body="Yes.")
    assert first[1].pk == again[1].pk
    assert TicketEntry.objects.count() == 1
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.owner_id) == (TicketState.PENDING, ana.pk)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "invalid"),
        ("   ", "invalid"),
        (None, "invalid"),
        (["x"], "invalid"),
        ("x" * 4001, "too_long"),
    ],
)
def test_an_empty_or_oversize_reply_or_note_is_refused(
    ana: Librarian, new_ticket: Callable[..., Ticket], body: object, code: str
) -> None:
    ticket = new_ticket()
    with pytest.raises(ActionError) as refused:
        actions.check_reply_ticket(ticket.pk, acting_librarian=ana, client_id="", body=body)
    assert refused.value.code == code
    with pytest.raises(ActionError) as refused:
        actions.check_add_note(ticket.pk, acting_librarian=ana, body=body)
    assert refused.value.code == code
    assert not TicketEntry.objects.exists()
