"""Every frame the patron and staff sockets carry, as ``TypedDict``s: one per event type.

The server builds its frames as plain dicts (in ``chats.actions``, ``chats.selectors``,
``tickets.actions``, ``tickets.selectors``, ``accounts.actions`` and the consumers); these
declarations are the contract those dicts keep, and docs/protocol.md describes the same
shapes field by field. The contract test (tests/test_protocol_contract.py) checks that every
type the server sends is declared here, documented there and handled by the JavaScript
client that receives it, and that the frames a real conversation produces carry exactly the
declared keys.

This module deliberately does not use ``from __future__ import annotations``: on Python
3.11 a ``TypedDict`` only sorts ``NotRequired`` keys into ``__optional_keys__`` when the
annotations are real objects, and the contract test relies on that split.
"""

from typing import Literal, NotRequired, TypedDict

# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

ChatStateName = Literal["waiting", "active", "ended"]
EndReasonName = Literal[
    "closed", "patron_left", "idle", "ticketed", "blocked", "unanswered", "dismissed"
]
SenderName = Literal["patron", "librarian", "system"]
TicketStateName = Literal["new", "open", "pending", "closed"]
RoleName = Literal["librarian", "supervisor", "admin"]
# ``away`` is in the design (DESIGN.md §1) but nothing sets it yet.
PresenceStatus = Literal["online", "offline"]
# What a client frame's ``ref`` may be; anything else is treated as absent.
Ref = str | int

ErrorCode = Literal[
    # The frame itself (core.consumers.FrameConsumer.receive).
    "bad_frame",
    "bad_json",
    "too_large",
    "unknown_type",
    # Its fields, and the actions it calls.
    "invalid",
    "too_long",
    "not_found",
    "unknown_campus",
    "forbidden",
    "not_yours",
    "already_claimed",
    "chat_ended",
    "unauthenticated",
    "rate_limited",
    "too_many_connections",
    "internal",
]

# ---------------------------------------------------------------------------
# Nested shapes
# ---------------------------------------------------------------------------


class MessageEvent(TypedDict):
    """``message``: one stored line of a chat (``chats.selectors.message_payload``).

    Also the element of ``chat.state.messages``, of ``ChatWithMessages.messages`` and the
    ``message`` of a ``message.send`` ack.
    """

    type: Literal["message"]
    chat_id: int
    seq: int
    sender: SenderName
    # The librarian's display name, the patron's name (may be ""), or "" for system lines.
    sender_name: str
    body: str
    # The sender's own id for de-duplication; "" when none was given (system lines).
    client_id: str
    sent_at: str


class ChatSummary(TypedDict):
    """A chat as the console sees it (``chats.selectors.chat_summary``)."""

    id: int
    state: ChatStateName
    end_reason: EndReasonName | None
    campus: str
    campus_name: str
    campus_colour: str
    patron_name: str
    patron_email: str
    question: str
    name_was_question: bool
    page_url: str
    browser: str
    created_at: str
    claimed_at: str | None
    ended_at: str | None
    claimed_by: str | None
    claimed_by_id: int | None
    last_seq: int


class ChatWithMessages(ChatSummary):
    """A chat summary with every stored message, oldest first."""

    messages: list[MessageEvent]


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


class PatronChatView(TypedDict):
    """A chat as its patron sees it (``chats.selectors.patron_chat_view``): no staff details."""

    id: int
    state: ChatStateName
    end_reason: EndReasonName | None
    campus: str
    campus_name: str
    patron_name: str
    librarian_name: str | None
    created_at: str


class Me(TypedDict):
    """The librarian a staff socket belongs to (``snapshot.me``)."""

    librarian_id: int
    display_name: str
    campus: str
    role: RoleName


class PresenceEntry(TypedDict):
    """One librarian's presence (``accounts.selectors.presence_of``)."""

    librarian_id: int
    display_name: str
    campus: str
    status: PresenceStatus


# ---------------------------------------------------------------------------
# Server → patron and server → staff
# ---------------------------------------------------------------------------


class ChatStateEvent(TypedDict):
    """``chat.state``: the first frame on a patron socket."""

    type: Literal["chat.state"]
    chat: PatronChatView
    # Every message with ``seq`` above the socket's ``?after=``.
    messages: list[MessageEvent]


class Snapshot(TypedDict):
    """``snapshot``: the first frame on a staff socket."""

    type: Literal["snapshot"]
    # The newest chat event id when the snapshot was taken: the next ``?after=``, and the
    # last event the counts below include.
    event_id: int
    me: Me
    # The newest waiting chats (``REFDESK_SNAPSHOT_WAITING``, 100), oldest first.
    waiting: list[ChatSummary]
    # Every waiting chat, and those per campus slug (campuses with none left out).
    waiting_total: int
    waiting_by_campus: dict[str, int]
    active: list[ChatWithMessages]
    # My chats that ended after ``?after=`` (empty when ``after`` is 0 or absent).
    ended: list[ChatWithMessages]
    presence: list[PresenceEntry]
    # The newest new tickets of every campus (``REFDESK_SNAPSHOT_TICKETS``, 100), newest
    # first; and every new ticket counted, in all and per campus slug.
    tickets: list[TicketSummary]
    tickets_total: int
    tickets_by_campus: dict[str, int]


class ChatCreated(TypedDict):
    """``chat.created``, to the staff group."""

    type: Literal["chat.created"]
    event_id: int
    chat: ChatSummary


# ``chat.claimed`` has two forms: the staff group's carries the event id, who claimed it
# and the whole summary; the patron's says only who.


class StaffChatClaimed(TypedDict):
    """``chat.claimed`` as the staff group receives it."""

    type: Literal["chat.claimed"]
    event_id: int
    chat_id: int
    by: str
    by_id: int
    chat: ChatSummary


class PatronChatClaimed(TypedDict):
    """``chat.claimed`` as the patron receives it."""

    type: Literal["chat.claimed"]
    chat_id: int
    by: str


# ``chat.ended`` has the same two forms.


class StaffChatEnded(TypedDict):
    """``chat.ended`` as the staff group receives it."""

    type: Literal["chat.ended"]
    event_id: int
    chat_id: int
    reason: EndReasonName
    chat: ChatSummary


class PatronChatEnded(TypedDict):
    """``chat.ended`` as the patron receives it."""

    type: Literal["chat.ended"]
    chat_id: int
    reason: EndReasonName


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


class TypingEvent(TypedDict):
    """``typing``: the other side started or stopped typing. Never stored."""

    type: Literal["typing"]
    chat_id: int
    sender: Literal["patron", "librarian"]
    active: bool


class PresenceEvent(PresenceEntry):
    """``presence``: a librarian came online or went offline, to the staff group."""

    type: Literal["presence"]


# ``ack`` answers a client frame that succeeded; its fields depend on the frame. ``ref`` is
# always present, ``null`` when the frame carried none.


class MessageAck(TypedDict):
    """``ack`` of ``message.send`` (either socket): the stored message."""

    type: Literal["ack"]
    ref: Ref | None
    message: MessageEvent


class ChatAck(TypedDict):
    """``ack`` of ``chat.claim`` and ``chat.fetch`` (staff): the chat with its messages."""

    type: Literal["ack"]
    ref: Ref | None
    chat: ChatWithMessages


class ChatEndedAck(TypedDict):
    """``ack`` of ``chat.end`` (staff) and ``chat.leave`` (patron)."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int
    state: Literal["ended"]


class QueueListAck(TypedDict):
    """``ack`` of ``queue.list`` (staff): a page of older waiting chats, oldest first."""

    type: Literal["ack"]
    ref: Ref | None
    waiting: list[ChatSummary]
    # Whether older waiting chats remain beyond this page.
    more: bool


class TicketListAck(TypedDict):
    """``ack`` of ``ticket.list`` (staff): a page of tickets, newest first."""

    type: Literal["ack"]
    ref: Ref | None
    tickets: list[TicketSummary]
    more: bool


class DismissAck(TypedDict):
    """``ack`` of ``chat.dismiss`` (staff): which chats ended, and which were not waiting."""

    type: Literal["ack"]
    ref: Ref | None
    dismissed: list[int]
    skipped: list[int]


class ErrorEvent(TypedDict):
    """``error``: a refused frame, or a refused connection just before it is closed.

    ``ref`` is present only when the frame carried a usable one; the other optional keys
    depend on ``code`` (see docs/protocol.md).
    """

    type: Literal["error"]
    code: ErrorCode
    message: str
    ref: NotRequired[Ref]
    field: NotRequired[str]
    limit: NotRequired[int]
    chat_id: NotRequired[int]
    by: NotRequired[str | None]
    by_id: NotRequired[int | None]
    end_reason: NotRequired[EndReasonName]
    # Seconds until the socket may send again (``rate_limited``).
    retry_after: NotRequired[float]


# ---------------------------------------------------------------------------
# Patron → server and staff → server
# ---------------------------------------------------------------------------


class PatronMessageSend(TypedDict):
    type: Literal["message.send"]
    ref: NotRequired[Ref]
    client_id: NotRequired[str]
    body: str


class PatronTyping(TypedDict):
    type: Literal["typing"]
    ref: NotRequired[Ref]
    active: bool


class PatronChatLeave(TypedDict):
    type: Literal["chat.leave"]
    ref: NotRequired[Ref]


class StaffChatClaim(TypedDict):
    type: Literal["chat.claim"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatFetch(TypedDict):
    type: Literal["chat.fetch"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffMessageSend(TypedDict):
    type: Literal["message.send"]
    ref: NotRequired[Ref]
    chat_id: int
    client_id: NotRequired[str]
    body: str


class StaffTyping(TypedDict):
    type: Literal["typing"]
    ref: NotRequired[Ref]
    chat_id: int
    active: bool


class StaffChatEnd(TypedDict):
    type: Literal["chat.end"]
    ref: NotRequired[Ref]
    chat_id: int
    closing: NotRequired[str]


class StaffQueueList(TypedDict):
    type: Literal["queue.list"]
    ref: NotRequired[Ref]
    # A campus slug; absent, null or "" for every campus.
    campus: NotRequired[str | None]
    # The id of the oldest chat the console shows; absent or null for the newest page.
    before: NotRequired[int | None]


class StaffTicketList(TypedDict):
    type: Literal["ticket.list"]
    ref: NotRequired[Ref]
    campus: NotRequired[str | None]
    # ``new`` when absent.
    state: NotRequired[TicketStateName | None]
    # The id of the oldest ticket the console shows; absent or null for the newest page.
    before: NotRequired[int | None]


class StaffChatDismiss(TypedDict):
    type: Literal["chat.dismiss"]
    ref: NotRequired[Ref]
    # 1 to 200 chat ids.
    chat_ids: list[int]
    # A note for the record: one line, up to 200 characters.
    reason: NotRequired[str | None]


# ---------------------------------------------------------------------------
# The registry the contract test reads
# ---------------------------------------------------------------------------

# What each socket receives, by type; a type with two forms lists the one that socket gets.
PATRON_SERVER_EVENTS: dict[str, tuple[type, ...]] = {
    "chat.state": (ChatStateEvent,),
    "message": (MessageEvent,),
    "typing": (TypingEvent,),
    "chat.claimed": (PatronChatClaimed,),
    "chat.ended": (PatronChatEnded,),
    "ack": (MessageAck, ChatEndedAck),
    "error": (ErrorEvent,),
}

STAFF_SERVER_EVENTS: dict[str, tuple[type, ...]] = {
    "snapshot": (Snapshot,),
    "chat.created": (ChatCreated,),
    "chat.claimed": (StaffChatClaimed,),
    "chat.ended": (StaffChatEnded,),
    "message": (MessageEvent,),
    "typing": (TypingEvent,),
    "presence": (PresenceEvent,),
    "ticket.created": (TicketCreated,),
    "ticket.updated": (TicketUpdated,),
    "ack": (MessageAck, ChatAck, ChatEndedAck, QueueListAck, TicketListAck, DismissAck),
    "error": (ErrorEvent,),
}


def _merge(*maps: dict[str, tuple[type, ...]]) -> dict[str, tuple[type, ...]]:
    merged: dict[str, tuple[type, ...]] = {}
    for mapping in maps:
        for name, forms in mapping.items():
            known = merged.get(name, ())
            merged[name] = known + tuple(form for form in forms if form not in known)
    return merged


# Every type the server sends on either socket, with every form it takes.
SERVER_EVENT_TYPES: dict[str, tuple[type, ...]] = _merge(PATRON_SERVER_EVENTS, STAFF_SERVER_EVENTS)

# The frame types each consumer's ``handlers`` accepts, in the same order.
PATRON_FRAME_TYPES: tuple[str, ...] = ("message.send", "typing", "chat.leave")
STAFF_FRAME_TYPES: tuple[str, ...] = (
    "chat.claim",
    "chat.fetch",
    "message.send",
    "typing",
    "chat.end",
    "queue.list",
    "ticket.list",
    "chat.dismiss",
)

PATRON_FRAMES: dict[str, type] = {
    "message.send": PatronMessageSend,
    "typing": PatronTyping,
    "chat.leave": PatronChatLeave,
}
STAFF_FRAMES: dict[str, type] = {
    "chat.claim": StaffChatClaim,
    "chat.fetch": StaffChatFetch,
    "message.send": StaffMessageSend,
    "typing": StaffTyping,
    "chat.end": StaffChatEnd,
    "queue.list": StaffQueueList,
    "ticket.list": StaffTicketList,
    "chat.dismiss": StaffChatDismiss,
}
