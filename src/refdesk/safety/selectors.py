"""Reading the watched terms and the panels' guidance."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max

from refdesk.safety.detector import Term
from refdesk.safety.models import Guidance, GuidanceKind, Section, WatchTerm


def list_active_terms() -> list[Term]:
    """Every active term of every language, as the detector compiles them."""
    return [
        Term(kind, term, is_pattern)
        for kind, term, is_pattern in WatchTerm.objects.filter(active=True).values_list(
            "kind", "term", "is_pattern"
        )
    ]


def get_terms_version() -> tuple[object, ...]:
    """What changes whenever a term is added, changed or deleted: how many there are and
    the newest change's time (a deletion lowers the count)."""
    found = WatchTerm.objects.aggregate(count=Count("id"), newest=Max("updated_at"))
    return (found["count"], found["newest"])


def list_guidance() -> dict[str, Any]:
    """The panels' guidance as the console gets it (``safety.events.SafetyGuidance``):
    for each kind, its four sections in order, each with its heading and steps."""
    steps: dict[tuple[str, str], list[str]] = {}
    for kind, section, text in Guidance.objects.order_by("position", "pk").values_list(
        "kind", "section", "text"
    ):
        steps.setdefault((kind, section), []).append(text)
    return {
        kind: [
            {
                "section": section.value,
                "heading": section.label,
                "steps": steps.get((kind, section.value), []),
            }
            for section in Section
        ]
        for kind in GuidanceKind.values
    }
