"""The ticket actions: the one writer of tickets and ticket events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from refdesk.tickets import actions
from refdesk.tickets.models import Ticket, TicketEvent, TicketSource, TicketState
from tests.support import assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db(transaction=True)

FORM: dict[str, Any] = {
    "campus_slug": "north",
    "name": "Sam",
    "email": "sam@example.edu",
    "question": "Can I renew a laptop loan over the weekend?",
}


@pytest.fixture
def north(make_campus: Callable[..., Any]) -> Any:
    return make_campus("north")


def test_filing_a_ticket_stores_it_as_new_and_tells_every_console(north: Any) -> None:
    with capture_events() as events:
        ticket = actions.check_create_ticket(
            **FORM,
            page_url="https://lib.example.edu/north/hours?session=secret#top",
            address="203.0.113.9",
            browser_id="browser-1",
        )
    stored = Ticket.objects.get()
    assert stored == ticket
    assert (stored.state, stored.source, stored.campus) == (
        TicketState.NEW,
        TicketSource.FORM,
        north,
    )
    assert (stored.patron_name, stored.patron_email, stored.question) == (
        "Sam",
        "sam@example.edu",
        "Can I renew a laptop loan over the weekend?",
    )
    assert stored.page_url == "https://lib.example.edu/north/hours"
    assert stored.ip_hash
    assert "203.0.113.9" not in stored.ip_hash
    assert (stored.closed_at, stored.purged_at) == (None, None)

    assert_events_exactly(events, [created(stored)])
    event = TicketEvent.objects.get()
    assert (event.ticket, event.type, event.actor) == (ticket, "ticket.created", None)
    assert event.data == {"ticket": events[0].event["ticket"]}


def created(ticket: Ticket) -> tuple[str, dict[str, Any]]:
    """The ``ticket.created`` that every console hears of a ticket filed with ``FORM``."""
    return (
        STAFF_GROUP,
        {
            "type": "ticket.created",
            "ticket": {
                "id": ticket.pk,
                "state": "new",
                "campus": "north",
                "campus_name": "North Campus Library",
                "name": "Sam",
                "email": "sam@example.edu",
                "question": "Can I renew a laptop loan over the weekend?",
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


def test_a_ticket_may_be_filed_while_a_librarian_is_online(online: Any) -> None:
    with capture_events() as events:
        actions.check_create_ticket(**FORM)
    assert_events_exactly(events, [created(Ticket.objects.get())])


def test_the_name_is_optional(north: Any) -> None:
    ticket = actions.check_create_ticket(**{**FORM, "name": ""})
    assert ticket.patron_name == ""


def test_a_question_in_the_name_box_becomes_the_question_as_in_the_chat_form(north: Any) -> None:
    ticket = actions.check_create_ticket(
        **{**FORM, "name": "what time do you close on sunday", "question": ""}
    )
    assert ticket.patron_name == ""
    assert ticket.question == "what time do you close on sunday"


def test_a_real_name_in_any_script_passes_untouched(north: Any) -> None:
    ticket = actions.check_create_ticket(**{**FORM, "name": "Nguyễn Thị Minh Khai"})
    assert ticket.patron_name == "Nguyễn Thị Minh Khai"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"campus_slug": "atlantis"}, "unknown_campus", "campus"),
        ({"campus_slug": None}, "unknown_campus", "campus"),
        ({"campus_slug": ["north"]}, "unknown_campus", "campus"),
        ({"campus_slug": "north' OR 1=1 --"}, "unknown_campus", "campus"),
        ({"question": ""}, "invalid", "question"),
        ({"question": " \n\t "}, "invalid", "question"),
        ({"question": None}, "invalid", "question"),
        ({"question": ["not", "text"]}, "invalid", "question"),
        ({"question": {"$gt": ""}}, "invalid", "question"),
        ({"question": "x" * 4001}, "too_long", "question"),
        ({"name": "N" * 121}, "too_long", "name"),
        ({"name": 42}, "invalid", "name"),
        ({"email": ""}, "invalid", "email"),
        ({"email": None}, "invalid", "email"),
        ({"email": "   "}, "invalid", "email"),
        ({"email": "not-an-email"}, "invalid", "email"),
        ({"email": "sam@"}, "invalid", "email"),
        ({"email": "sam@example"}, "invalid", "email"),
        ({"email": "sam smith@example.edu"}, "invalid", "email"),
        ({"email": "<script>@example.edu"}, "invalid", "email"),
        ({"email": "sam@example.edu\nBcc: all@example.edu"}, "invalid", "email"),
        ({"email": "s" * 250 + "@example.edu"}, "too_long", "email"),
        ({"email": ["sam@example.edu"]}, "invalid", "email"),
    ],
)
def test_a_bad_form_is_refused_with_its_field_and_stores_nothing(
    north: Any, fields: dict[str, Any], code: str, field: str
) -> None:
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.check_create_ticket(**{**FORM, **fields})
    assert caught.value.code == code
    assert caught.value.extra["field"] == field
    assert caught.value.message
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0
    assert_events_exactly(events, [])


def test_a_question_of_exactly_four_thousand_characters_is_stored_whole(north: Any) -> None:
    ticket = actions.check_create_ticket(**{**FORM, "question": "é" * 4000})
    assert ticket.question == "é" * 4000


def test_a_question_in_the_name_box_may_not_push_the_question_over_the_limit(north: Any) -> None:
    with pytest.raises(ActionError) as caught:
        actions.check_create_ticket(
            **{**FORM, "name": "where is the library?", "question": "x" * 3990}
        )
    assert (caught.value.code, caught.value.extra["field"]) == ("too_long", "question")
    assert Ticket.objects.count() == 0


def test_html_sql_and_control_characters_are_stored_as_plain_text(north: Any) -> None:
    ticket = actions.check_create_ticket(
        campus_slug="north",
        name="<b>Eve</b>\u202e",
        email="eve@example.edu",
        question="<script>alert(1)</script>\x00\x07 '; DROP TABLE tickets_ticket; --\u2066",
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.patron_name == "<b>Eve</b>"
    assert stored.question == "<script>alert(1)</script> '; DROP TABLE tickets_ticket; --"


def test_nothing_is_announced_when_the_filing_transaction_rolls_back(north: Any) -> None:
    def file_then_fail() -> None:
        with transaction.atomic():
            actions.check_create_ticket(**FORM)
            raise RuntimeError("the surrounding work failed")

    with capture_events() as events, pytest.raises(RuntimeError):
        file_then_fail()
    assert Ticket.objects.count() == 0
    assert_events_exactly(events, [])
