"""The accounts' part of the console: who I am, who is online, and ``presence.set``."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.actions import check_set_presence
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import list_presence
from refdesk.core.frames import Frame, snapshot_part, staff_frame


@snapshot_part(order=20)
def me_and_presence(librarian: Librarian, after: int) -> dict[str, Any]:
    """``me`` and ``presence`` of the console's snapshot."""
    return {
        "me": {
            "librarian_id": librarian.pk,
            "display_name": librarian.display_name,
            "campus": librarian.home_campus.slug,
            "role": librarian.role,
        },
        "presence": list_presence(),
    }


@staff_frame("presence.set")
def set_presence(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """The librarian's toggle, and the console's own away timer."""
    return {"presence": check_set_presence(librarian, status=frame.get("status"))}
