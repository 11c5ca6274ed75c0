"""The snippets' part of the console: the snippets in the snapshot, and ``snippet.save``
and ``snippet.delete`` for personal ones."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.campuses.selectors import list_campus_facts
from refdesk.core.frames import Frame, snapshot_part, snapshot_read, staff_frame
from refdesk.snippets.actions import check_delete_personal_snippet, check_save_personal_snippet
from refdesk.snippets.selectors import list_snippet_entries, snippet_campuses_of


@snapshot_part(order=40)
def snippets_part(librarian: Librarian, after: int) -> dict[str, Any]:
    """``snippets`` and ``snippet_campuses`` of the console's snapshot."""
    return {
        "snippets": list_snippet_entries(librarian),
        "snippet_campuses": snippet_campuses_of(snapshot_read("campus_facts", list_campus_facts)),
    }


@staff_frame("snippet.save")
def save_snippet(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """Add or change one of the librarian's personal snippets."""
    return {
        "snippet": check_save_personal_snippet(
            librarian,
            snippet_id=frame.get("id"),
            title=frame.get("title"),
            body=frame.get("body"),
            shortcut=frame.get("shortcut", ""),
        )
    }


@staff_frame("snippet.delete")
def delete_snippet(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """Delete one of the librarian's personal snippets."""
    return {"snippet_id": check_delete_personal_snippet(librarian, snippet_id=frame.get("id"))}
