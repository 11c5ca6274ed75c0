"""Reads about tickets, and the payload that describes one on the wire."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.conf import settings
from django.db.models import Count, Q

from refdesk.tickets.events import TicketStateName, TicketSummary
from refdesk.tickets.models import Ticket, TicketState

TicketPosition = tuple[dt.datetime, int]


def ticket_summary(ticket: Ticket) -> TicketSummary:
    """A ticket as the console lists it. Expects ``campus`` to be loaded or cheap to load."""
    return TicketSummary(
        id=ticket.pk,
        state=cast(TicketStateName, ticket.state),
        campus=ticket.campus.slug,
        campus_name=ticket.campus.name,
        name=ticket.patron_name,
        email=ticket.patron_email,
        question=ticket.question,
        created_at=ticket.created_at.isoformat(),
    )


def get_ticket_position(ticket_id: int) -> TicketPosition | None:
    """Where a ticket stands in the lists, ``(created_at, id)``: the cursor of a page of
    older tickets. None when there is no such ticket."""
    return Ticket.objects.filter(pk=ticket_id).values_list("created_at", "pk").first()


def list_tickets_page(
    *,
    state: str = TicketState.NEW,
    campus_id: int | None = None,
    before: TicketPosition | None = None,
    limit: int | None = None,
) -> tuple[list[TicketSummary], bool]:
    """The newest ``limit`` tickets in ``state`` filed before ``before`` (from the newest
    when None), of one campus or of every one, newest first; and whether older ones remain.

    ``limit`` defaults to the snapshot's page (``REFDESK_SNAPSHOT_TICKETS``). One query.
    """
    size = limit if limit is not None else settings.REFDESK["SNAPSHOT_TICKETS"]
    tickets = Ticket.objects.select_related("campus").filter(state=state)
    if campus_id is not None:
        tickets = tickets.filter(campus_id=campus_id)
    if before is not None:
        created_at, ticket_id = before
        tickets = tickets.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=ticket_id)
        )
    found = list(tickets.order_by("-created_at", "-pk")[: size + 1])
    return [ticket_summary(t) for t in found[:size]], len(found) > size


def list_new_tickets(*, limit: int | None = None) -> list[TicketSummary]:
    """The newest ``limit`` tickets of every campus that nobody has opened yet, newest first."""
    return list_tickets_page(limit=limit)[0]


def count_tickets_by_campus(state: str = TicketState.NEW) -> dict[str, int]:
    """How many tickets are in ``state`` in each campus queue, by slug (none: left out)."""
    rows = (
        Ticket.objects.filter(state=state)
        .values_list("campus__slug")
        .annotate(count=Count("id"))
        .order_by()
    )
    return dict(rows)
