"""The campuses' shapes on the wire: each campus's facts for the console's campus panel.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_sends


class CampusLinkFacts(TypedDict):
    """One of a campus's links (``campuses.CampusLink``)."""

    kind: Literal["home", "catalogue", "databases", "hours", "proxy", "other"]
    title: str
    url: str


class CampusFacts(TypedDict):
    """What the campus panel shows beside a chat of this campus
    (``campuses.selectors.campus_facts``), read on the campus's own clock."""

    campus: str
    name: str
    timezone: str
    # The campus's date (ISO) these facts are for, and today's hours on it: "8am–10pm",
    # "Closed today (Thanksgiving)".
    date: str
    hours_today: str
    open_now: bool
    # "Open now, until 10pm", "Closed now, opens at 8am tomorrow".
    status: str
    # The coming week's days whose hours differ from the week's: [day, hours].
    exceptions: list[list[str]]
    links: list[CampusLinkFacts]
    # The staff notes, plain text ("" for none).
    notes: str
    # When these facts next change by the clock alone (an opening, a closing, the
    # campus's midnight), ISO 8601: the console asks again then (``campus.facts``).
    changes_at: str


class CampusFactsEvent(TypedDict):
    """``campus.facts``: a campus's facts changed (its notes, links or hours); to the staff
    group."""

    type: Literal["campus.facts"]
    facts: CampusFacts


class CampusFactsAck(TypedDict):
    """``ack`` of ``campus.facts`` and of ``campus.notes.set``: the campus's facts now."""

    type: Literal["ack"]
    ref: Ref | None
    facts: CampusFacts


class StaffCampusFacts(TypedDict):
    type: Literal["campus.facts"]
    ref: NotRequired[Ref]
    campus: str


class StaffCampusNotesSet(TypedDict):
    type: Literal["campus.notes.set"]
    ref: NotRequired[Ref]
    campus: str
    notes: str


declare_sends("staff", {"campus.facts": (CampusFactsEvent,), "ack": (CampusFactsAck,)})
declare_accepts(
    "staff", {"campus.facts": StaffCampusFacts, "campus.notes.set": StaffCampusNotesSet}
)
