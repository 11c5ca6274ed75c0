"""The console's first frame, made of every app's part (``core.frames.snapshot_part``).

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, TypedDict

from refdesk.accounts.events import Me, PresenceEntry
from refdesk.campuses.events import CampusFacts
from refdesk.chats.events import ChatSummary, ChatWithMessages, NoteEvent, TransferOffered
from refdesk.core.protocol import declare_sends
from refdesk.directory.events import Directory
from refdesk.safety.events import SafetyPart
from refdesk.snippets.events import SnippetCampus, SnippetEntry
from refdesk.tickets.events import TicketSummary


class Snapshot(TypedDict):
    """``snapshot``: the first frame on a staff socket."""

    type: Literal["snapshot"]
    # The server's clock when the snapshot was taken (ISO 8601): the console counts down
    # to server times (``home_until``) with its offset from its own clock.
    server_time: str
    # The newest chat event id when the snapshot was taken: the next ``?after=``, and the
    # last event the counts below include.
    event_id: int
    # The newest waiting chats (``REFDESK_SNAPSHOT_WAITING``, 100), oldest first.
    waiting: list[ChatSummary]
    # Every waiting chat, and those per campus slug (campuses with none left out).
    waiting_total: int
    waiting_by_campus: dict[str, int]
    active: list[ChatWithMessages]
    # My chats that ended after ``?after=`` (empty when ``after`` is 0 or absent).
    ended: list[ChatWithMessages]
    # The transfers offered to me that still stand, oldest first.
    transfer_offers: list[TransferOffered]
    me: Me
    presence: list[PresenceEntry]
    # The newest new tickets of every campus (``REFDESK_SNAPSHOT_TICKETS``, 100), newest
    # first; and every new ticket counted, in all and per campus slug.
    tickets: list[TicketSummary]
    tickets_total: int
    tickets_by_campus: dict[str, int]
    # Snippets: every one the librarian may use (global, every campus's, their own
    # personal ones), and each campus's name and today's hours for the placeholders.
    snippets: list[SnippetEntry]
    snippet_campuses: dict[str, SnippetCampus]
    # The campus panel: every campus's facts, in display order.
    campus_facts: list[CampusFacts]
    # The reference-interview card's questions, in order.
    interview_questions: list[str]
    # The directory: every active contact and course, for its search, the campus panel
    # and the crisis panel.
    directory: Directory
    # The safety panels' guidance (escalation and crisis).
    safety: SafetyPart
    # The internal notes of my active chats, oldest first.
    notes: list[NoteEvent]


declare_sends("staff", {"snapshot": (Snapshot,)})
