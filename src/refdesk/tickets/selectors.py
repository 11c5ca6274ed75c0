"""Reads about tickets, and the payload that describes one on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.db.models import Count, Q

from refdesk.chats.selectors import clean_campus_filter, clean_optional_id
from refdesk.core.errors import ActionError
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


def page_tickets(
    *,
    campus: object = None,
    state: object = None,
    before: object = None,
    owner: object = None,
    q: object = None,
) -> dict[str, Any]:
    """The answer to ``ticket.list``: ``{"tickets": [...], "more": bool}``, the page of
    tickets (``REFDESK_SNAPSHOT_TICKETS`` of them) in ``state`` (default ``new``) filed
    before the ticket ``before``, in one campus's queue or every one, newest first.

    Validates the frame's untrusted fields: ``invalid`` (also for ``owner`` and ``q``,
    which are not supported yet: refused rather than silently ignored), ``unknown_campus``,
    or ``not_found`` (``field: "before"``) when ``before`` names no ticket.
    """
    for name, value in (("owner", owner), ("q", q)):
        if value is not None:
            raise ActionError("invalid", f"ticket.list cannot filter by {name} yet.", field=name)
    if state is None:
        state = TicketState.NEW
    if not isinstance(state, str) or state not in TicketState.values:
        raise ActionError(
            "invalid", "state must be one of new, open, pending or closed.", field="state"
        )
    campus_id = clean_campus_filter(campus)
    cursor_id = clean_optional_id(before, field="before")
    position = None
    if cursor_id is not None:
        position = get_ticket_position(cursor_id)
        if position is None:
            raise ActionError("not_found", "There is no such ticket to page from.", field="before")
    tickets, more = list_tickets_page(state=state, campus_id=campus_id, before=position)
    return {"tickets": tickets, "more": more}


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
