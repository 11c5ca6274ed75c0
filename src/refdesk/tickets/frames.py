"""The tickets' frames on the console, and their part of its snapshot."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.chats.frames import campus_filter
from refdesk.core.consumers import optional_int
from refdesk.core.errors import ActionError
from refdesk.core.frames import Frame, snapshot_part, staff_frame
from refdesk.tickets.models import TicketState
from refdesk.tickets.selectors import (
    count_tickets_by_campus,
    get_ticket_position,
    list_tickets_page,
)


@snapshot_part(order=30)
def new_tickets(librarian: Librarian, after: int) -> dict[str, Any]:
    """The newest page of new tickets and their counts."""
    tickets, _more = list_tickets_page()
    by_campus = count_tickets_by_campus()
    return {
        "tickets": tickets,
        "tickets_total": sum(by_campus.values()),
        "tickets_by_campus": by_campus,
    }


@staff_frame("ticket.list", lane="read")
def ticket_list(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """A page of tickets (``REFDESK_SNAPSHOT_TICKETS`` of them) in ``state`` (default
    ``new``) filed before the ticket ``before``, in one campus's queue or every one, newest
    first: ``{"tickets": [...], "more": bool}``. ``owner`` and ``q`` are not supported yet
    and are refused (``invalid``) rather than silently ignored; ``not_found``
    (``field: "before"``) when ``before`` names no ticket."""
    for name in ("owner", "q"):
        if frame.get(name) is not None:
            raise ActionError("invalid", f"ticket.list cannot filter by {name} yet.", field=name)
    state = frame.get("state")
    if state is None:
        state = TicketState.NEW
    if not isinstance(state, str) or state not in TicketState.values:
        raise ActionError(
            "invalid", "state must be one of new, open, pending or closed.", field="state"
        )
    campus_id = campus_filter(frame)
    cursor_id = optional_int(frame, "before")
    position = None
    if cursor_id is not None:
        position = get_ticket_position(cursor_id)
        if position is None:
            raise ActionError("not_found", "There is no such ticket to page from.", field="before")
    tickets, more = list_tickets_page(state=state, campus_id=campus_id, before=position)
    return {"tickets": tickets, "more": more}
