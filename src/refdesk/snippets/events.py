"""The snippets' shapes on the wire: the console's snapshot part, ``snippet.save`` and
``snippet.delete``, their acks, and the ``snippets`` event.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_sends

SnippetScope = Literal["global", "campus", "personal"]
SnippetPurpose = Literal[
    "",
    "greeting",
    "ask_name",
    "ask_email",
    "identify",
    "still_looking",
    "be_right_back",
    "still_there",
    "closing",
    "warning",
    "compassion",
]


class SnippetEntry(TypedDict):
    """One snippet a librarian may use (``snippets.selectors.snippet_entry``)."""

    id: int
    scope: SnippetScope
    # The campus's slug for a campus snippet, else null.
    campus: str | None
    title: str
    body: str
    shortcut: str
    purpose: SnippetPurpose
    # Whether it is the librarian's own (personal): only those are edited in the console.
    mine: bool


class SnippetCampus(TypedDict):
    """What the placeholders need of a campus (``snapshot.snippet_campuses``)."""

    name: str
    hours_today: str


class SnippetsEvent(TypedDict):
    """``snippets``: the librarian's personal snippets changed (from any of their
    consoles); every snippet they may use, to their own consoles."""

    type: Literal["snippets"]
    snippets: list[SnippetEntry]


class SnippetsChangedEvent(TypedDict):
    """``snippets.changed``: a global or campus snippet was added, changed or deleted (in
    the admin); every shared snippet, to every console, which keeps its own personal ones
    and replaces the rest."""

    type: Literal["snippets.changed"]
    # Campus snippets (by campus), then global ones; ``mine`` is false for each.
    snippets: list[SnippetEntry]


class SnippetSaveAck(TypedDict):
    """``ack`` of ``snippet.save``: the snippet as saved."""

    type: Literal["ack"]
    ref: Ref | None
    snippet: SnippetEntry


class SnippetDeleteAck(TypedDict):
    """``ack`` of ``snippet.delete``."""

    type: Literal["ack"]
    ref: Ref | None
    snippet_id: int


class StaffSnippetSave(TypedDict):
    type: Literal["snippet.save"]
    ref: NotRequired[Ref]
    # Absent or null: a new personal snippet.
    id: NotRequired[int | None]
    title: str
    body: str
    shortcut: NotRequired[str]


class StaffSnippetDelete(TypedDict):
    type: Literal["snippet.delete"]
    ref: NotRequired[Ref]
    id: int


declare_sends(
    "staff",
    {
        "snippets": (SnippetsEvent,),
        "snippets.changed": (SnippetsChangedEvent,),
        "ack": (SnippetSaveAck, SnippetDeleteAck),
    },
)
declare_accepts("staff", {"snippet.save": StaffSnippetSave, "snippet.delete": StaffSnippetDelete})
