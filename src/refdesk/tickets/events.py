"""The tickets' shapes on the wire.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.chats.events import MessageEvent
from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_error_codes, declare_sends

TicketStateName = Literal["new", "open", "pending", "closed"]
EntryKindName = Literal["reply", "patron", "note"]
SendStateName = Literal["", "unsent", "sent"]

declare_error_codes({"email_required": 400, "email_unsent": 503})


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
    # "form" (the offline form) or "chat" (a chat that became a ticket).
    source: Literal["form", "chat"]
    # The chat it came from, or null.
    chat_id: int | None
    # Who works on it (null: nobody yet).
    owner: str | None
    owner_id: int | None
    # The last change (null: none since it was filed), and when it was closed.
    updated_at: str | None
    closed_at: str | None


class TicketEntryPayload(TypedDict):
    """One entry of a ticket's thread as the console sees it."""

    id: int
    kind: EntryKindName
    # The librarian's display name, the patron's name (may be "").
    author_name: str
    body: str
    client_id: str
    created_at: str
    # Replies only: "unsent" until the email went out, then "sent"; "" for other kinds.
    send_state: SendStateName
    send_attempts: int
    sent_at: str | None
    # Why the last attempt failed ("" when none did).
    last_error: str


class TicketWithThread(TicketSummary):
    """A ticket with its whole thread, oldest first, and the chat's transcript when it
    came from a chat (null otherwise)."""

    thread: list[TicketEntryPayload]
    transcript: list[MessageEvent] | None


class PatronTicketEntry(TypedDict):
    """One entry of the thread as the patron sees it: replies and their own answers."""

    kind: Literal["reply", "patron"]
    author_name: str
    body: str
    created_at: str


class PatronTicketView(TypedDict):
    """``GET /api/tickets/<token>``: the ticket as its patron sees it, notes left out."""

    id: int
    state: TicketStateName
    campus: str
    campus_name: str
    question: str
    created_at: str
    thread: list[PatronTicketEntry]


class TicketCreated(TypedDict):
    """``ticket.created``, to the staff group: a patron filed a ticket.

    No ``event_id``: tickets are not in the chat event cursor; a console that reconnects
    has every new ticket in its snapshot.
    """

    type: Literal["ticket.created"]
    ticket: TicketSummary


class TicketUpdated(TypedDict):
    """``ticket.updated``, to the staff group: a ticket changed (claimed, assigned, moved,
    answered, noted, its state set, or closed by the retention purge). The ticket as it is
    now."""

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


class TicketAck(TypedDict):
    """``ack`` of ``ticket.fetch`` and of each ticket action (staff): the ticket with its
    thread as it is now."""

    type: Literal["ack"]
    ref: Ref | None
    ticket: TicketWithThread


class ChatTicketAck(TypedDict):
    """``ack`` of ``chat.ticket`` (staff) and ``chat.to_ticket`` (patron)."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int
    ticket_id: int


class StaffTicketList(TypedDict):
    type: Literal["ticket.list"]
    ref: NotRequired[Ref]
    campus: NotRequired[str | None]
    # ``new`` when absent; ``"all"`` for every state.
    state: NotRequired[TicketStateName | Literal["all"] | None]
    # A librarian's id, or "none" for tickets nobody owns.
    owner: NotRequired[int | Literal["none"] | None]
    # Words to look for in the question, the patron's name and email, and the thread.
    q: NotRequired[str | None]
    # The id of the oldest ticket the console shows; absent or null for the newest page.
    before: NotRequired[int | None]


class StaffTicketFetch(TypedDict):
    type: Literal["ticket.fetch"]
    ref: NotRequired[Ref]
    ticket_id: int


class StaffTicketClaim(TypedDict):
    type: Literal["ticket.claim"]
    ref: NotRequired[Ref]
    ticket_id: int


class StaffTicketAssign(TypedDict):
    type: Literal["ticket.assign"]
    ref: NotRequired[Ref]
    ticket_id: int
    to_librarian: int


class StaffTicketMove(TypedDict):
    type: Literal["ticket.move"]
    ref: NotRequired[Ref]
    ticket_id: int
    campus: str


class StaffTicketReply(TypedDict):
    type: Literal["ticket.reply"]
    ref: NotRequired[Ref]
    ticket_id: int
    client_id: NotRequired[str]
    body: str


class StaffTicketNote(TypedDict):
    type: Literal["ticket.note"]
    ref: NotRequired[Ref]
    ticket_id: int
    body: str


class StaffTicketStatus(TypedDict):
    type: Literal["ticket.status"]
    ref: NotRequired[Ref]
    ticket_id: int
    state: Literal["pending", "closed"]


class StaffChatTicket(TypedDict):
    type: Literal["chat.ticket"]
    ref: NotRequired[Ref]
    chat_id: int
    # Needed when the chat has no email yet.
    email: NotRequired[str | None]


class PatronChatToTicket(TypedDict):
    type: Literal["chat.to_ticket"]
    ref: NotRequired[Ref]
    email: str


class PatronTranscriptRequest(TypedDict):
    type: Literal["transcript.request"]
    ref: NotRequired[Ref]
    email: str


declare_sends(
    "staff",
    {
        "ticket.created": (TicketCreated,),
        "ticket.updated": (TicketUpdated,),
        "ack": (TicketListAck, TicketAck, ChatTicketAck),
    },
)
declare_sends(
    "patron",
    # The ``ack`` of ``transcript.request`` has the shape of ``email.set``'s (``EmailSetAck``).
    # ``chat.ticket_offer`` is the chats' (their timer sends it).
    {"ack": (ChatTicketAck,)},
)
declare_accepts(
    "staff",
    {
        "ticket.list": StaffTicketList,
        "ticket.fetch": StaffTicketFetch,
        "ticket.claim": StaffTicketClaim,
        "ticket.assign": StaffTicketAssign,
        "ticket.move": StaffTicketMove,
        "ticket.reply": StaffTicketReply,
        "ticket.note": StaffTicketNote,
        "ticket.status": StaffTicketStatus,
        "chat.ticket": StaffChatTicket,
    },
)
declare_accepts(
    "patron",
    {"chat.to_ticket": PatronChatToTicket, "transcript.request": PatronTranscriptRequest},
)
