"""Reads about tickets, and the payload that describes one on the wire."""

from __future__ import annotations

from typing import Any

from refdesk.tickets.models import Ticket, TicketState

# The console lists new tickets; more than this and the oldest wait off the list.
NEW_TICKETS_SHOWN = 100


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the console lists it. Expects ``campus`` to be loaded or cheap to load."""
    return {
        "id": ticket.pk,
        "state": ticket.state,
        "campus": ticket.campus.slug,
        "campus_name": ticket.campus.name,
        "name": ticket.patron_name,
        "email": ticket.patron_email,
        "question": ticket.question,
        "created_at": ticket.created_at.isoformat(),
    }


def list_new_tickets(*, limit: int = NEW_TICKETS_SHOWN) -> list[dict[str, Any]]:
    """The newest ``limit`` tickets of every campus that nobody has opened yet, newest first."""
    tickets = (
        Ticket.objects.select_related("campus")
        .filter(state=TicketState.NEW)
        .order_by("-created_at", "-pk")[:limit]
    )
    return [ticket_summary(t) for t in tickets]
