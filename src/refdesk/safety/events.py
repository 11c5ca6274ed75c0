"""The safety app's shapes on the wire (the ``alert`` of a flagged line is the chats'
``FlaggedAlert``): the ``safety`` part of the console's snapshot and the ``safety.changed`` event.

No ``from __future__ import annotations`` here: see core/events.py.
"""

from typing import Literal, TypedDict

from refdesk.core.protocol import declare_sends

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
