"""The tickets' shapes on the wire.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_sends

TicketStateName = Literal["new", "open", "pending", "closed"]


class TicketSummary(TypedDict):
    """A ticket as the console lists it (``tickets.selectors.ticket_summary``)."""

    id: int
    state: TicketStateName
    campus: str
    campus_name: str
    # The patron's name as given (may be ""), and the email the answer goes to.
    name: str
    email: str
    question: str
    created_at: str


class TicketCreated(TypedDict):
    """``ticket.created``, to the staff group: a patron filed a ticket.

    No ``event_id``: tickets are not in the chat event cursor; a console that reconnects
    has every new ticket in its snapshot.
    """

    type: Literal["ticket.created"]
    ticket: TicketSummary


class TicketUpdated(TypedDict):
    """``ticket.updated``, to the staff group: a ticket changed (today only the retention
    purge closes one that was never closed). The ticket as it is now."""

    type: Literal["ticket.updated"]
    ticket: TicketSummary
    # The state it had before, so that a console can move its counts of new tickets.
    previous_state: TicketStateName


class TicketListAck(TypedDict):
    """``ack`` of ``ticket.list`` (staff): a page of tickets, newest first."""

    type: Literal["ack"]
    ref: Ref | None
    tickets: list[TicketSummary]
    more: bool


class StaffTicketList(TypedDict):
    type: Literal["ticket.list"]
    ref: NotRequired[Ref]
    campus: NotRequired[str | None]
    # ``new`` when absent.
    state: NotRequired[TicketStateName | None]
    # The id of the oldest ticket the console shows; absent or null for the newest page.
    before: NotRequired[int | None]


declare_sends(
    "staff",
    {
        "ticket.created": (TicketCreated,),
        "ticket.updated": (TicketUpdated,),
        "ack": (TicketListAck,),
    },
)
declare_accepts("staff", {"ticket.list": StaffTicketList})
