"""Retention: the patron's details and question go from closed tickets; the statistics stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from refdesk.tickets import actions
from refdesk.tickets.models import Ticket, TicketEvent, TicketState
from tests.support import ANY, assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db


def aged(ticket: Ticket, *, state: str, days_ago: int) -> Ticket:
    """The ticket as if it had been filed, and (when closed) closed, ``days_ago`` days ago.

    Nothing closes a ticket yet, so the test sets the state the way the database holds it.
    """
    when = timezone.now() - dt.timedelta(days=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(
        state=state,
        created_at=when - dt.timedelta(hours=1),
        closed_at=when if state == TicketState.CLOSED else None,
        page_url="https://lib.example.edu/north/",
        ip_hash="a" * 64,
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_tickets_closed_over_ninety_days_ago_lose_everything_that_identifies_the_patron(
    new_ticket: Callable[..., Ticket],
) -> None:
    old = aged(
        new_ticket(name="Sam Patron", question="my card is 1234"), state="closed", days_ago=91
    )
    assert actions.do_purge_expired_tickets() == 1
    ticket = Ticket.objects.get(pk=old.pk)
    assert (
        ticket.patron_name,
        ticket.patron_email,
        ticket.question,
        ticket.page_url,
        ticket.ip_hash,
    ) == ("", "", "", "", "")
    assert ticket.purged_at is not None
    assert [e.data for e in TicketEvent.objects.filter(ticket=ticket)] == [{}]
    # The anonymous facts stay.
    assert (ticket.campus.slug, ticket.state, ticket.source) == ("north", "closed", "form")
    assert (ticket.created_at, ticket.closed_at) == (old.created_at, old.closed_at)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True)) == [
        "ticket.created"
    ]


def test_recently_closed_tickets_and_unfinished_ones_under_a_year_old_are_kept_whole(
    new_ticket: Callable[..., Ticket],
) -> None:
    kept = [
        aged(new_ticket(question="closed lately"), state="closed", days_ago=89),
        aged(new_ticket(question="new for months"), state="new", days_ago=364),
        aged(new_ticket(question="open for months"), state="open", days_ago=364),
        aged(new_ticket(question="pending for months"), state="pending", days_ago=364),
    ]
    assert actions.do_purge_expired_tickets() == 0
    for ticket in kept:
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert (fresh.question, fresh.patron_email, fresh.purged_at) == (
            ticket.question,
            "sam@example.edu",
            None,
        )
        assert TicketEvent.objects.get(ticket=fresh).data["ticket"]["question"] == ticket.question


def test_purging_twice_changes_nothing_the_second_time(
    new_ticket: Callable[..., Ticket],
) -> None:
    aged(new_ticket(), state="closed", days_ago=120)
    assert actions.do_purge_expired_tickets() == 1
    first = Ticket.objects.get().purged_at
    assert actions.do_purge_expired_tickets(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert Ticket.objects.get().purged_at == first


def test_a_long_backlog_is_purged_in_batches(new_ticket: Callable[..., Ticket]) -> None:
    for i in range(7):
        aged(new_ticket(question=f"question {i}"), state="closed", days_ago=100 + i)
    assert actions.do_purge_expired_tickets(batch=3) == 7
    assert set(Ticket.objects.values_list("question", flat=True)) == {""}


def test_the_retention_period_comes_from_the_settings(
    new_ticket: Callable[..., Ticket], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "RETENTION_DAYS": 7}
    aged(new_ticket(), state="closed", days_ago=8)
    assert actions.do_purge_expired_tickets() == 1


def test_the_purge_command_reports_tickets_too(new_ticket: Callable[..., Ticket]) -> None:
    aged(new_ticket(), state="closed", days_ago=100)
    aged(new_ticket(), state="closed", days_ago=100)
    out = StringIO()
    call_command("purge", stdout=out)
    assert "2 tickets closed over 90 days ago" in out.getvalue()
    assert set(Ticket.objects.values_list("patron_email", flat=True)) == {""}


def test_the_tickets_purge_job_purges_a_batch_and_says_when_more_remain(
    new_ticket: Callable[..., Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    from refdesk.tickets import jobs

    for _ in range(3):
        aged(new_ticket(), state="closed", days_ago=100)
    monkeypatch.setattr(jobs, "BATCH", 2)
    assert jobs.purge_expired_tickets() is True
    assert Ticket.objects.filter(purged_at__isnull=False).count() == 2
    assert jobs.purge_expired_tickets() is False
    assert Ticket.objects.filter(purged_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_ticket_never_closed_is_closed_and_purged_a_year_after_it_was_filed(
    new_ticket: Callable[..., Ticket],
) -> None:
    stale = aged(new_ticket(name="Old", question="lost in the pile"), state="new", days_ago=366)
    pending = aged(new_ticket(name="Pat", question="waiting on us"), state="pending", days_ago=400)
    fresh = aged(new_ticket(name="New", question="asked last month"), state="open", days_ago=30)

    with capture_events() as events:
        assert actions.do_purge_expired_tickets() == 2

    rows = {
        t.pk: (t.state, t.patron_name, t.patron_email, t.question, t.purged_at is not None)
        for t in Ticket.objects.all()
    }
    assert rows == {
        stale.pk: ("closed", "", "", "", True),
        pending.pk: ("closed", "", "", "", True),
        fresh.pk: ("open", "New", "sam@example.edu", "asked last month", False),
    }
    assert Ticket.objects.get(pk=stale.pk).closed_at is not None
    # The consoles hear of each closing with the details it had then, before the purge.
    assert_events_exactly(
        events,
        [
            closed_by_retention(stale, name="Old", question="lost in the pile", previous="new"),
            closed_by_retention(pending, name="Pat", question="waiting on us", previous="pending"),
        ],
    )
    # The closing is in the audit trail (its details blanked by the purge, like the rest).
    assert list(TicketEvent.objects.filter(ticket_id=stale.pk).values_list("type", "data")) == [
        ("ticket.created", {}),
        ("ticket.updated", {}),
    ]
    assert actions.do_purge_expired_tickets() == 0


def closed_by_retention(
    ticket: Ticket, *, name: str, question: str, previous: str
) -> tuple[str, dict[str, Any]]:
    """The ``ticket.updated`` the consoles get when retention closes ``ticket``."""
    return (
        "staff",
        {
            "type": "ticket.updated",
            "ticket": {
                "id": ticket.pk,
                "state": "closed",
                "campus": "north",
                "campus_name": "North Campus Library",
                "name": name,
                "email": "sam@example.edu",
                "question": question,
                "created_at": ticket.created_at.isoformat(),
                "source": "form",
                "chat_id": None,
                "owner": None,
                "owner_id": None,
                "updated_at": None,
                "closed_at": ANY,
            },
            "previous_state": previous,
        },
    )
