"""Reads of blocks and incidents: whether a patron is blocked, and the supervisors'
lists (nothing here shows a hash: pages get what a person can read); the watched terms
and the panels' guidance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from refdesk.intake.actions import hash_address, hash_browser_id
from refdesk.safety.detector import Term
from refdesk.safety.models import Block, Guidance, GuidanceKind, Incident, Section, WatchTerm

if TYPE_CHECKING:
    from refdesk.safety.events import IncidentSummary

RECENT_LIFTED = 50
INCIDENTS_PAGE = 200


def active_blocks(now: dt.datetime | None = None) -> QuerySet[Block]:
    """Blocks neither lifted nor expired at ``now``."""
    return Block.objects.filter(lifted_at__isnull=True, expires_at__gt=now or timezone.now())


def is_patron_blocked(*, address: str, browser_id: object) -> bool:
    """Whether the patron's address or browser id has an active block. A new browser id
    from a blocked address is blocked too: that is how a block meets a cleared browser."""
    ip_hash = hash_address(address)
    browser_hash = hash_browser_id(browser_id)
    match = Q()
    if ip_hash:
        match |= Q(ip_hash=ip_hash)
    if browser_hash:
        match |= Q(browser_hash=browser_hash)
    if not match:
        return False
    return active_blocks().filter(match).exists()


def list_active_blocks() -> list[Block]:
    """Every active block, soonest to expire first."""
    return list(
        active_blocks().select_related("created_by", "chat__campus").order_by("expires_at", "pk")
    )


def list_recent_lifted_blocks(limit: int = RECENT_LIFTED) -> list[Block]:
    """The latest lifted blocks, newest lift first."""
    return list(
        Block.objects.filter(lifted_at__isnull=False)
        .select_related("created_by", "lifted_by", "chat__campus")
        .order_by("-lifted_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class IncidentFilters:
    """The incident list's filters; empty strings and None mean "any"."""

    status: str = ""
    kind: str = ""
    campus: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def list_incidents(filters: IncidentFilters, *, limit: int = INCIDENTS_PAGE) -> list[Incident]:
    """Incidents matching ``filters``, newest first; the dates are whole days in the
    desk's time zone, both included."""
    found = Incident.objects.select_related("campus", "reported_by", "closed_by")
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.campus:
        found = found.filter(campus__slug=filters.campus)
    zone = timezone.get_current_timezone()
    if filters.since is not None:
        start = dt.datetime.combine(filters.since, dt.time.min, tzinfo=zone)
        found = found.filter(created_at__gte=start)
    if filters.until is not None:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        found = found.filter(created_at__lt=end)
    return list(found.order_by("-created_at", "-pk")[:limit])


def get_incident(incident_id: int) -> Incident | None:
    return (
        Incident.objects.select_related("campus", "reported_by", "closed_by", "chat")
        .filter(pk=incident_id)
        .first()
    )


def get_block(block_id: int) -> Block | None:
    return Block.objects.select_related("created_by", "lifted_by").filter(pk=block_id).first()


def incident_summary(incident: Incident) -> IncidentSummary:
    """The incident as supervisors' consoles get it (no text: that stays on its page)."""
    return {
        "id": incident.pk,
        "kind": incident.kind,  # type: ignore[typeddict-item]
        "status": incident.status,  # type: ignore[typeddict-item]
        "chat_id": incident.chat_id,
        "campus": incident.campus.slug,
        "campus_name": incident.campus.name,
        "reported_by": incident.reported_by.display_name if incident.reported_by else "",
        "created_at": incident.created_at.isoformat(),
        "url": reverse("console:incident-show", args=[incident.pk]),
    }


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
