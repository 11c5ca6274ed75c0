"""The safety app's part of the console: ``patron.block``, ``incident.report`` and the
panels' guidance in the snapshot.
"""

from __future__ import annotations

from typing import Any

from refdesk.accounts.models import Librarian
from refdesk.core.frames import Frame, snapshot_part, staff_frame
from refdesk.safety.actions import check_block_patron, check_report_incident
from refdesk.safety.selectors import list_guidance


@staff_frame("patron.block")
def block_patron(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """Block a chat's patron; the holder or a supervisor (checked by the action)."""
    block, ended = check_block_patron(
        librarian, chat_id=frame.get("chat_id"), reason=frame.get("reason"), days=frame.get("days")
    )
    return {
        "block_id": block.pk,
        "expires_at": block.expires_at.isoformat(),
        "ended_chat_ids": ended,
    }


@staff_frame("incident.report")
def report_incident(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """Report an incident about a chat the librarian holds or held."""
    incident = check_report_incident(
        librarian,
        chat_id=frame.get("chat_id"),
        kind=frame.get("kind"),
        what_happened=frame.get("what_happened"),
        actions_taken=frame.get("actions_taken", ""),
        follow_up=frame.get("follow_up", ""),
    )
    return {"incident_id": incident.pk}


@snapshot_part(order=45)
def safety_part(librarian: Librarian, after: int) -> dict[str, Any]:
    """``safety`` of the console's snapshot: ``{guidance}``."""
    return {"safety": {"guidance": list_guidance()}}
