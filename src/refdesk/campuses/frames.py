"""The campuses' frames on the staff socket and their part of the console's snapshot:
every campus's facts for the campus panel beside each chat (13 campuses make a small
part), a fresh read of one campus's facts, and a supervisor's edit of its staff notes."""

from __future__ import annotations

from typing import Any

from refdesk.campuses.actions import do_set_staff_notes
from refdesk.campuses.events import CampusFacts
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_facts, list_campus_facts
from refdesk.core.errors import ActionError
from refdesk.core.frames import Frame, snapshot_part, snapshot_read, staff_frame


@snapshot_part(order=40)
def campus_panel(librarian: Any, after: int) -> dict[str, Any]:
    """Every campus's facts, in display order (read once per snapshot: the snippets'
    placeholders use them too)."""
    return {"campus_facts": snapshot_read("campus_facts", list_campus_facts)}


def _facts_of(frame: Frame) -> CampusFacts:
    facts = get_campus_facts(frame.get("campus"))
    if facts is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    return facts


@staff_frame("campus.facts", lane="read")
def facts(librarian: Any, frame: Frame) -> dict[str, Any]:
    """One campus's facts now (the console asks when they change by the clock)."""
    return {"facts": _facts_of(frame)}


@staff_frame("campus.notes.set", role="supervisor")
def set_notes(librarian: Any, frame: Frame) -> dict[str, Any]:
    """A supervisor or an admin replaces a campus's staff notes; every console hears of it
    (``campus.facts``)."""
    campus = Campus.objects.filter(slug=_facts_of(frame)["campus"]).first()
    if campus is None:  # pragma: no cover - deleted between the two reads
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    do_set_staff_notes(campus, frame.get("notes"), actor=librarian.user)
    return {"facts": _facts_of(frame)}
