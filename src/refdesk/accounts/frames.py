"""The accounts' part of the console: who I am and who is online."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import list_presence
from refdesk.core.frames import snapshot_part


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
