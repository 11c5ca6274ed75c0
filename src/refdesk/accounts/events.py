"""The accounts' shapes on the wire: who I am, who is online, whether the desk is staffed.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Final, Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_error_codes, declare_sends

RoleName = Literal["librarian", "supervisor", "admin"]
PresenceStatus = Literal["online", "away", "offline"]
# What a librarian may choose: offline is what closing every console makes them.
ChosenStatus = Literal["online", "away"]

declare_error_codes({"unauthenticated": 401})


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
    # The chats they hold now.
    active_chats: int


class PresenceEvent(PresenceEntry):
    """``presence``: a librarian's status or number of active chats changed, to the staff
    group."""

    type: Literal["presence"]


class DeskStatus(TypedDict):
    """``desk.status``: the last operator left (or went away), or one came back; to every
    patron socket."""

    type: Literal["desk.status"]
    online: bool


# Internal: sent to a librarian's own group, never to a socket (see below).
ACCOUNT_DEACTIVATED: Final = "account.deactivated"


class AccountDeactivated(TypedDict):
    """``account.deactivated``, to the librarian's own group when their account is switched
    off. Never forwarded: each of their consoles answers it with ``error``
    ``unauthenticated`` and closes with 4401 at once."""

    type: Literal["account.deactivated"]
    librarian_id: int


class PresenceAck(TypedDict):
    """``ack`` of ``presence.set`` (staff): the librarian's presence now."""

    type: Literal["ack"]
    ref: Ref | None
    presence: PresenceEntry


class StaffPresenceSet(TypedDict):
    type: Literal["presence.set"]
    ref: NotRequired[Ref]
    status: ChosenStatus


declare_sends("staff", {"presence": (PresenceEvent,), "ack": (PresenceAck,)})
declare_sends("patron", {"desk.status": (DeskStatus,)})
declare_accepts("staff", {"presence.set": StaffPresenceSet})
