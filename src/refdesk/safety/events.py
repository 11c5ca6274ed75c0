"""The safety app's shapes on the wire: ``patron.block`` and ``incident.report`` with
their acks, the ``incident.created`` event to supervisors, the ``blocked`` refusal, the
``safety`` part of the console's snapshot and the ``safety.changed`` event (the ``alert``
of a flagged line is the chats' ``FlaggedAlert``).

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.events import Ref
from refdesk.core.protocol import declare_accepts, declare_error_codes, declare_sends

declare_error_codes(
    {
        # ``POST /api/chats`` from a blocked browser or address; the message is neutral.
        "blocked": 403,
    }
)

IncidentKindName = Literal["abuse", "threat", "crisis", "spam", "other"]
IncidentStatusName = Literal["open", "closed"]


class IncidentSummary(TypedDict):
    """An incident as supervisors' consoles get it (``safety.selectors.incident_summary``)."""

    id: int
    kind: IncidentKindName
    status: IncidentStatusName
    chat_id: int | None
    campus: str
    campus_name: str
    reported_by: str
    created_at: str
    # The incident's page on the desk (``/console/safety/incidents/<id>/``).
    url: str


class IncidentCreated(TypedDict):
    """``incident.created``: a librarian reported an incident; to the consoles of every
    supervisor and admin (the ``supervisors`` group)."""

    type: Literal["incident.created"]
    incident: IncidentSummary


class PatronBlockAck(TypedDict):
    """``ack`` of ``patron.block``: the block, when it expires, and the chats it ended."""

    type: Literal["ack"]
    ref: Ref | None
    block_id: int
    expires_at: str
    ended_chat_ids: list[int]


class IncidentReportAck(TypedDict):
    """``ack`` of ``incident.report``."""

    type: Literal["ack"]
    ref: Ref | None
    incident_id: int


class StaffPatronBlock(TypedDict):
    type: Literal["patron.block"]
    ref: NotRequired[Ref]
    chat_id: int
    reason: str
    # 1, 7 or 30.
    days: int


class StaffIncidentReport(TypedDict):
    type: Literal["incident.report"]
    ref: NotRequired[Ref]
    chat_id: int
    kind: IncidentKindName
    what_happened: str
    actions_taken: NotRequired[str]
    follow_up: NotRequired[str]


declare_sends(
    "staff",
    {
        "incident.created": (IncidentCreated,),
        "ack": (PatronBlockAck, IncidentReportAck),
    },
)
declare_accepts("staff", {"patron.block": StaffPatronBlock, "incident.report": StaffIncidentReport})

GuidanceSection = Literal["communicate", "suggest", "act", "remember"]


class GuidanceSectionEntry(TypedDict):
    """One heading of a panel's guidance and its steps, in order."""

    section: GuidanceSection
    heading: str
    steps: list[str]


class SafetyGuidance(TypedDict):
    """The panels' guidance: the escalation panel's (abuse, threat) and the crisis
    panel's, each its four sections in order."""

    escalation: list[GuidanceSectionEntry]
    crisis: list[GuidanceSectionEntry]


class SafetyPart(TypedDict):
    """``safety`` of the console's snapshot."""

    guidance: SafetyGuidance


class SafetyChangedEvent(TypedDict):
    """``safety.changed``: an admin changed the panels' guidance; to every console."""

    type: Literal["safety.changed"]
    guidance: SafetyGuidance


declare_sends(
    "staff",
    {"safety.changed": (SafetyChangedEvent,)},
)
