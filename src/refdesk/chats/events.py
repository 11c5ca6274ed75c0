"""The chats' shapes on the wire: both sockets' chat frames and events.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_error_codes, declare_sends
from refdesk.core.realtime import JSONText

ChatStateName = Literal["waiting", "active", "ended"]
EndReasonName = Literal[
    "closed", "patron_left", "idle", "ticketed", "blocked", "unanswered", "dismissed"
]
SenderName = Literal["patron", "librarian", "system"]

declare_error_codes(
    {
        "unknown_campus": 404,
        "offline": 409,
        "already_claimed": 409,
        "chat_ended": 409,
        "not_yours": 403,
        "transfer_to_self": 400,
        "unknown_librarian": 404,
        "not_online": 409,
        "offer_pending": 409,
        "no_offer": 409,
        "offer_expired": 409,
        "already_joined": 409,
        "not_joined": 409,
    }
)

# Why a chat changed hands or went back to a queue.
TransferReason = Literal["transfer", "departed", "deactivated", "taken_over"]
# Why a transfer offer ended without an accept.
DeclineReason = Literal["declined", "expired"]


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
    # Only on a line the desk wrote by itself (the hours answer to a waiting patron):
    # true, and both sides show it as "Automatic answer".
    automatic: NotRequired[bool]
    # Only in staff payloads of stored lines (a console's snapshot, a transcript), and
    # only on a patron's line the detector flagged: "abuse", "threat" or "crisis".
    flag: NotRequired[str]


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
    # When the patron's last socket closed (null while one is open, and once it ended).
    patron_gone_at: str | None
    # The library's rule for a waiting chat (null once it no longer waits for them):
    # since when it waits in its queue (reset when it goes back to one),
    waiting_since: str | None
    # until when it rings only for its own campus's librarians, and when that window was
    # closed by the server (then it rings for everyone),
    home_until: str | None
    home_ended_at: str | None
    # and when its patron is (or was) offered to leave the question as a ticket.
    ticket_offer_at: str | None
    # A pending transfer: to whom, and until when (null when none).
    offer_to_id: int | None
    offer_expires_at: str | None
    # The timers of an active chat (null when it is not active, or the timer is not
    # running): since when the patron's message waits for the librarian's reply (the
    # console's dead-air badge), since the librarian's latest message the patron has not
    # answered, and when the patron was asked whether they are still there.
    patron_waiting_since: str | None
    patron_silent_since: str | None
    silent_asked_at: str | None
    # Only on a chat one of whose patron lines was flagged: the gravest kind so far
    # ("threat", then "crisis", then "abuse"); the queue row's badge.
    flag: NotRequired[str]


class ChatWithMessages(ChatSummary):
    """A chat summary with every stored message, oldest first."""

    messages: list[MessageEvent] | JSONText


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
    # While waiting: the chat's place in its campus's queue (1 is next); null otherwise.
    queue_position: int | None


# ---------------------------------------------------------------------------
# Server → patron and server → staff
# ---------------------------------------------------------------------------


class ChatStateEvent(TypedDict):
    """``chat.state``: the first frame on a patron socket."""

    type: Literal["chat.state"]
    chat: PatronChatView
    # Every message with ``seq`` above the socket's ``?after=``.
    messages: list[MessageEvent]
    # Whether any operator is online now (later changes come as ``desk.status``).
    desk_online: bool


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


class PatronConnectionEvent(TypedDict):
    """``patron.connection``: a chat's patron closed their last socket, or came back; to
    the staff group. Not a resume point: the snapshot's summaries carry ``patron_gone_at``."""

    type: Literal["patron.connection"]
    chat_id: int
    here: bool
    # When the patron's last socket closed; null when ``here``.
    gone_since: str | None


class ChatUpdated(TypedDict):
    """``chat.updated``: a chat's summary changed without a change of state (a timer ran
    out, a transfer was offered, the patron's name or email). Not a resume point."""

    type: Literal["chat.updated"]
    chat: ChatSummary


# ---------------------------------------------------------------------------
# Timers of an active chat: no dead air, silent patrons
# ---------------------------------------------------------------------------

SilentStage = Literal["ask", "end"]


class DeadAirAlert(TypedDict):
    """``alert`` of kind ``dead_air``, to the holder's consoles: the patron's message has
    waited ``REFDESK_DEAD_AIR_RED_SECONDS`` for a reply, since ``since``. Once per stretch."""

    type: Literal["alert"]
    chat_id: int
    kind: Literal["dead_air"]
    since: str


class SilentPatronAlert(TypedDict):
    """``alert`` of kind ``silent_patron``, to the holder's consoles: the patron has not
    answered since ``since``; ``stage`` ``ask`` suggests "Are you still there?", ``end``
    suggests ending the chat with the closing line. Once per stage and silence."""

    type: Literal["alert"]
    chat_id: int
    kind: Literal["silent_patron"]
    stage: SilentStage
    since: str


class FlaggedAlert(TypedDict):
    """``alert`` of kind ``abuse``, ``threat`` or ``crisis``: the patron's line ``seq`` was
    flagged by the screen (chats/screening.py); ``terms`` are the words that matched, as
    the screen normalised them. To the holder's consoles, or to every console while the
    chat waits; never to the patron."""

    type: Literal["alert"]
    chat_id: int
    kind: str
    seq: int
    terms: list[str]


class TicketOffer(TypedDict):
    """``chat.ticket_offer``, to the patron of a chat still waiting at ``ticket_offer_at``:
    the widget offers to leave the question as a ticket (``chat.to_ticket``)."""

    type: Literal["chat.ticket_offer"]
    chat_id: int


# ``chat.transferred`` has two forms. The staff group's: who gave it (``from``) and who took
# it (``to``, null when it went back to a queue, then ``to_campus``), and why.
StaffChatTransferred = TypedDict(
    "StaffChatTransferred",
    {
        "type": Literal["chat.transferred"],
        "event_id": int,
        "chat_id": int,
        "from": str | None,
        "from_id": int | None,
        "to": str | None,
        "to_id": int | None,
        "to_campus": str | None,
        "reason": TransferReason,
        "chat": ChatSummary,
    },
)


class PatronChatTransferred(TypedDict):
    """``chat.transferred`` as the patron receives it: the new librarian's display name,
    or null when the chat went back to a queue (``campus_name`` says whose)."""

    type: Literal["chat.transferred"]
    chat_id: int
    to: str | None
    campus_name: str


# ``chat.transfer.offered``, to the target's consoles: the chat with its messages so far.
TransferOffered = TypedDict(
    "TransferOffered",
    {
        "type": Literal["chat.transfer.offered"],
        "chat_id": int,
        "from": str,
        "from_id": int,
        "expires_at": str,
        "chat": ChatWithMessages,
    },
)


class TransferDeclined(TypedDict):
    """``chat.transfer.declined``, to the holder's and the target's consoles: the offer
    ended without an accept; the chat stays with its holder."""

    type: Literal["chat.transfer.declined"]
    chat_id: int
    by: str
    by_id: int
    reason: DeclineReason
    chat: ChatSummary


class TransferOfferAck(TypedDict):
    """``ack`` of ``chat.transfer`` to a librarian: the offer stands until ``expires_at``."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int
    offered_to: str
    offered_to_id: int
    expires_at: str


class ChatRequeuedAck(TypedDict):
    """``ack`` of ``chat.transfer`` to a campus: the chat waits in that campus's queue."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int
    to_campus: str


class ActiveChatsAck(TypedDict):
    """``ack`` of ``chat.list`` (supervisors): the chats a librarian holds now."""

    type: Literal["ack"]
    ref: Ref | None
    librarian_id: int
    chats: list[ChatSummary]


class ChatIdAck(TypedDict):
    """``ack`` of ``chat.transfer.decline``, ``chat.ask_email`` and ``chat.unwatch``."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int


class EmailRequested(TypedDict):
    """``email.requested``, to the patron: the librarian asks for an email address, to be
    answered with ``email.set``."""

    type: Literal["email.requested"]
    chat_id: int


class QueuePositionEvent(TypedDict):
    """``queue.position``, to a waiting chat's patron: their place in the campus's queue
    changed."""

    type: Literal["queue.position"]
    chat_id: int
    # 1 is next.
    position: int


class TypingEvent(TypedDict):
    """``typing``: the other side started or stopped typing. Never stored."""

    type: Literal["typing"]
    chat_id: int
    sender: Literal["patron", "librarian"]
    active: bool


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


class DismissAck(TypedDict):
    """``ack`` of ``chat.dismiss`` (staff): which chats ended, and which were not waiting."""

    type: Literal["ack"]
    ref: Ref | None
    dismissed: list[int]
    skipped: list[int]


# ---------------------------------------------------------------------------
# Supervision: watching, internal notes, joining, alerting a supervisor
# ---------------------------------------------------------------------------


class NoteEvent(TypedDict):
    """``note``: an internal note on a chat, to its holder's consoles and its watchers.
    Staff only: never sent to the patron, never in their transcript."""

    type: Literal["note"]
    chat_id: int
    id: int
    author_id: int | None
    author_name: str
    body: str
    created_at: str


class SupervisorAlert(TypedDict):
    """``alert`` of kind ``supervisor``, to every console of every supervisor and admin: a
    librarian asks for a supervisor on a chat (``note`` may be "")."""

    type: Literal["alert"]
    kind: Literal["supervisor"]
    chat_id: int
    campus: str
    from_librarian_id: int
    from_name: str
    note: str
    at: str


class WatchAck(TypedDict):
    """``ack`` of ``chat.watch``: the chat with its staff history (its messages and its
    internal notes); from now on the console gets the chat's lines and notes live."""

    type: Literal["ack"]
    ref: Ref | None
    chat: ChatWithMessages
    notes: list[NoteEvent]
    # Whether this supervisor has joined the chat (and may write to the patron).
    joined: bool


class NoteAck(TypedDict):
    """``ack`` of ``chat.note``: the note as stored."""

    type: Literal["ack"]
    ref: Ref | None
    note: NoteEvent


class JoinAck(TypedDict):
    """``ack`` of ``chat.join`` (``joined`` true) and ``chat.leave_join`` (false)."""

    type: Literal["ack"]
    ref: Ref | None
    chat_id: int
    joined: bool


class SupervisorAlertAck(TypedDict):
    """``ack`` of ``chat.alert_supervisor``: how many supervisors and admins have a console
    open to receive it (0: nobody is there to call)."""

    type: Literal["ack"]
    ref: Ref | None
    supervisors_online: int


class StaffChatWatch(TypedDict):
    type: Literal["chat.watch"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatUnwatch(TypedDict):
    type: Literal["chat.unwatch"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatNote(TypedDict):
    type: Literal["chat.note"]
    ref: NotRequired[Ref]
    chat_id: int
    client_id: NotRequired[str]
    # Plain text, 1 to 4,000 characters (cleaned as a message is).
    body: str


class StaffChatJoin(TypedDict):
    type: Literal["chat.join"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatLeaveJoin(TypedDict):
    type: Literal["chat.leave_join"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatAlertSupervisor(TypedDict):
    type: Literal["chat.alert_supervisor"]
    ref: NotRequired[Ref]
    chat_id: int
    # What the supervisor should know: one line, up to 500 characters.
    note: NotRequired[str | None]


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


class PatronEmailSet(TypedDict):
    type: Literal["email.set"]
    ref: NotRequired[Ref]
    # An email address: one line, at most 254 characters.
    email: str


class StaffChatAskEmail(TypedDict):
    type: Literal["chat.ask_email"]
    ref: NotRequired[Ref]
    chat_id: int


class EmailSetAck(TypedDict):
    """``ack`` of ``email.set`` (patron): the address as stored; also of
    ``transcript.request``: the address the transcript went to."""

    type: Literal["ack"]
    ref: Ref | None
    email: str


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


class StaffChatTransfer(TypedDict):
    type: Literal["chat.transfer"]
    ref: NotRequired[Ref]
    chat_id: int
    # Exactly one of the two: a librarian's id (an offer), or a campus's slug (its queue).
    to_librarian: NotRequired[int]
    to_campus: NotRequired[str]


class StaffChatList(TypedDict):
    type: Literal["chat.list"]
    ref: NotRequired[Ref]
    librarian_id: int


class StaffTransferAccept(TypedDict):
    type: Literal["chat.transfer.accept"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffChatTakeOver(TypedDict):
    type: Literal["chat.take_over"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffTransferDecline(TypedDict):
    type: Literal["chat.transfer.decline"]
    ref: NotRequired[Ref]
    chat_id: int


class StaffQueueList(TypedDict):
    type: Literal["queue.list"]
    ref: NotRequired[Ref]
    # A campus slug; absent, null or "" for every campus.
    campus: NotRequired[str | None]
    # The id of the oldest chat the console shows; absent or null for the newest page.
    before: NotRequired[int | None]


class ChatPatronAck(TypedDict):
    """``ack`` of ``chat.patron`` (staff): the chat's summary with the details recorded."""

    type: Literal["ack"]
    ref: Ref | None
    chat: ChatSummary


class StaffChatPatron(TypedDict):
    type: Literal["chat.patron"]
    ref: NotRequired[Ref]
    chat_id: int
    # The patron's name (one line, up to 120 characters; "" forgets it); absent: unchanged.
    name: NotRequired[str]
    # The patron's email ("" forgets it); absent: unchanged.
    email: NotRequired[str]


class StaffChatDismiss(TypedDict):
    type: Literal["chat.dismiss"]
    ref: NotRequired[Ref]
    # 1 to 200 chat ids.
    chat_ids: list[int]
    # A note for the record: one line, up to 200 characters.
    reason: NotRequired[str | None]


declare_sends(
    "patron",
    {
        "chat.state": (ChatStateEvent,),
        "message": (MessageEvent,),
        "typing": (TypingEvent,),
        "chat.claimed": (PatronChatClaimed,),
        "chat.ended": (PatronChatEnded,),
        "chat.transferred": (PatronChatTransferred,),
        "chat.ticket_offer": (TicketOffer,),
        "email.requested": (EmailRequested,),
        "queue.position": (QueuePositionEvent,),
        "ack": (MessageAck, ChatEndedAck, EmailSetAck),
    },
)
declare_sends(
    "staff",
    {
        "chat.created": (ChatCreated,),
        "chat.claimed": (StaffChatClaimed,),
        "chat.ended": (StaffChatEnded,),
        "patron.connection": (PatronConnectionEvent,),
        "chat.updated": (ChatUpdated,),
        "chat.transferred": (StaffChatTransferred,),
        "chat.transfer.offered": (TransferOffered,),
        "chat.transfer.declined": (TransferDeclined,),
        "message": (MessageEvent,),
        "typing": (TypingEvent,),
        "alert": (DeadAirAlert, SilentPatronAlert, FlaggedAlert, SupervisorAlert),
        "note": (NoteEvent,),
        "ack": (
            MessageAck,
            ChatAck,
            ChatEndedAck,
            QueueListAck,
            DismissAck,
            TransferOfferAck,
            ChatRequeuedAck,
            ChatIdAck,
            ActiveChatsAck,
            ChatPatronAck,
            WatchAck,
            NoteAck,
            JoinAck,
            SupervisorAlertAck,
        ),
    },
)
declare_accepts(
    "patron",
    {
        "message.send": PatronMessageSend,
        "typing": PatronTyping,
        "chat.leave": PatronChatLeave,
        "email.set": PatronEmailSet,
    },
)
declare_accepts(
    "staff",
    {
        "chat.claim": StaffChatClaim,
        "chat.fetch": StaffChatFetch,
        "message.send": StaffMessageSend,
        "typing": StaffTyping,
        "chat.end": StaffChatEnd,
        "queue.list": StaffQueueList,
        "chat.dismiss": StaffChatDismiss,
        "chat.patron": StaffChatPatron,
        "chat.transfer": StaffChatTransfer,
        "chat.list": StaffChatList,
        "chat.transfer.accept": StaffTransferAccept,
        "chat.take_over": StaffChatTakeOver,
        "chat.transfer.decline": StaffTransferDecline,
        "chat.ask_email": StaffChatAskEmail,
        "chat.watch": StaffChatWatch,
        "chat.unwatch": StaffChatUnwatch,
        "chat.note": StaffChatNote,
        "chat.join": StaffChatJoin,
        "chat.leave_join": StaffChatLeaveJoin,
        "chat.alert_supervisor": StaffChatAlertSupervisor,
    },
)
