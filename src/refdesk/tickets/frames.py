"""The tickets' frames on the console, and their part of its snapshot."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.core.frames import Frame, snapshot_part, staff_frame
from refdesk.tickets.selectors import count_tickets_by_campus, list_tickets_page, page_tickets


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
    return page_tickets(
        campus=frame.get("campus"),
        state=frame.get("state"),
        before=frame.get("before"),
        owner=frame.get("owner"),
        q=frame.get("q"),
    )
