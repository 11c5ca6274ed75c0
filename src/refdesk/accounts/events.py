"""The accounts' shapes on the wire: who I am, who is online.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, TypedDict

from refdesk.core.protocol import declare_error_codes, declare_sends

RoleName = Literal["librarian", "supervisor", "admin"]
# ``away`` is in the design (DESIGN.md §1) but nothing sets it yet.
PresenceStatus = Literal["online", "offline"]

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


class PresenceEvent(PresenceEntry):
    """``presence``: a librarian came online or went offline, to the staff group."""

    type: Literal["presence"]


declare_sends("staff", {"presence": (PresenceEvent,)})
