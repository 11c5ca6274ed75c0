"""The directory's shapes on the wire: its part of the console's snapshot and the
``directory.changed`` event.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, TypedDict

from refdesk.core.protocol import declare_sends

ContactCategory = Literal[
    "counselling",
    "security",
    "it_help_desk",
    "disability_services",
    "writing_centre",
    "library_staff",
    "emergency",
    "crisis_line",
]


class DirectoryContact(TypedDict):
    """One active contact (``directory.selectors.contact_entry``); empty strings for what
    the directory does not know."""

    id: int
    name: str
    # Their role or title: "Counsellor on call", "Dispatch".
    role: str
    # The campus's slug and name, or null for a consortium-wide contact.
    campus: str | None
    campus_name: str | None
    category: ContactCategory
    # The category in words: "IT help desk".
    category_label: str
    phone: str
    email: str
    # An http or https address.
    link: str
    # When someone answers: "24/7", "Mon–Fri 9–5".
    available: str
    note: str


class DirectoryCourse(TypedDict):
    """One active course (``directory.selectors.course_entry``)."""

    id: int
    title: str
    provider: str
    # An http or https address.
    link: str
    cost: str
    length: str
    # Why a librarian would take it.
    why: str


class Directory(TypedDict):
    """``snapshot.directory``: every active contact (consortium-wide first, then each
    campus's in the campuses' order; each by position and name) and every active course
    (by position and title)."""

    contacts: list[DirectoryContact]
    courses: list[DirectoryCourse]


class DirectoryChangedEvent(TypedDict):
    """``directory.changed``: a contact or a course was added, changed or deleted (in the
    admin, or by a desk file's import); the whole directory, to every console."""

    type: Literal["directory.changed"]
    contacts: list[DirectoryContact]
    courses: list[DirectoryCourse]


declare_sends("staff", {"directory.changed": (DirectoryChangedEvent,)})
