"""The safety app's part of the console: the panels' guidance in the snapshot."""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.core.frames import snapshot_part
from refdesk.safety.selectors import list_guidance


@snapshot_part(order=45)
def safety_part(librarian: Librarian, after: int) -> dict[str, Any]:
    """``safety`` of the console's snapshot: ``{guidance}``."""
    return {"safety": {"guidance": list_guidance()}}
