"""The supervisors' safety pages: active and lifted blocks (lift with a note), and the
incidents with filters, each with its page (close with a note, change the follow-up).

Server-rendered forms with CSRF; every page and every form checks on the server that the
account is a supervisor's or an admin's (librarians get 403), and calls the safety app's
``check_*`` actions. No page shows a hash or a browser id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import get_librarian_for_user
from refdesk.campuses.selectors import list_campuses
from refdesk.core.errors import ActionError
from refdesk.safety.actions import (
    check_change_follow_up,
    check_close_incident,
    check_lift_block,
)
from refdesk.safety.models import NOTE_MAX, TEXT_MAX, IncidentKind, IncidentStatus
from refdesk.safety.selectors import (
    IncidentFilters,
    get_incident,
    list_active_blocks,
    list_incidents,
    list_recent_lifted_blocks,
)


def _forbidden(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "console/safety/refused.html", {"message": message}, status=status)


def _supervisor(request: HttpRequest) -> Librarian | HttpResponse:
    """The request's librarian if a supervisor or an admin, else the 403 page."""
    librarian = get_librarian_for_user(request.user)
    if librarian is None or not librarian.is_supervisor:
        return _forbidden(request, "Only a supervisor or an admin can see this page.")
    return librarian


@login_required
@require_GET
def blocks_show(request: HttpRequest) -> HttpResponse:
    """``/console/safety/blocks/``: active blocks and the latest lifted ones."""
    me = _supervisor(request)
    if isinstance(me, HttpResponse):
        return me
    return _blocks_page(request)


def _blocks_page(
    request: HttpRequest, *, error: str = "", failed_id: int | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "console/safety/blocks.html",
        {
            "active": list_active_blocks(),
            "lifted": list_recent_lifted_blocks(),
            "error": error,
            "failed_id": failed_id,
            "note_max": NOTE_MAX,
            "section": "blocks",
        },
        status=status,
    )


@login_required
@require_POST
def block_lift(request: HttpRequest, block_id: int) -> HttpResponse:
    """Lift a block with the form's note; back to the blocks page."""
    me = _supervisor(request)
    if isinstance(me, HttpResponse):
        return me
    try:
        check_lift_block(me, block_id, note=request.POST.get("note", ""))
    except ActionError as exc:
        if exc.code in {"forbidden", "not_found"}:
            return _forbidden(request, exc.message, exc.status)
        return _blocks_page(request, error=exc.message, failed_id=block_id, status=exc.status)
    messages.success(request, f"Block {block_id} lifted.")
    return redirect("console:blocks-show")


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def incidents_show(request: HttpRequest) -> HttpResponse:
    """``/console/safety/incidents/``: incidents, filtered by status, kind, campus and a
    range of days."""
    me = _supervisor(request)
    if isinstance(me, HttpResponse):
        return me
    query = request.GET
    status = query.get("status", "open")
    filters = IncidentFilters(
        status=status if status in IncidentStatus.values else "",
        kind=query.get("kind", "") if query.get("kind") in IncidentKind.values else "",
        campus=query.get("campus", "")[:50],
        since=_date(query.get("since", "")),
        until=_date(query.get("until", "")),
    )
    return render(
        request,
        "console/safety/incidents.html",
        {
            "incidents": list_incidents(filters),
            "filters": filters,
            "statuses": IncidentStatus.choices,
            "kinds": IncidentKind.choices,
            "campuses": list_campuses(),
            "section": "incidents",
        },
    )


def _incident_page(
    request: HttpRequest,
    incident_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    incident = get_incident(incident_id)
    if incident is None:
        return _forbidden(request, "There is no such incident.", 404)
    context: dict[str, Any] = {
        "incident": incident,
        "errors": errors or {},
        "note_max": NOTE_MAX,
        "text_max": TEXT_MAX,
        "back": reverse("console:incidents-show"),
        "section": "incidents",
    }
    return render(request, "console/safety/incident.html", context, status=status)


@login_required
@require_GET
def incident_show(request: HttpRequest, incident_id: int) -> HttpResponse:
    """``/console/safety/incidents/<id>/``: one incident, its follow-up and closing."""
    me = _supervisor(request)
    if isinstance(me, HttpResponse):
        return me
    return _incident_page(request, incident_id)


def _incident_form(
    request: HttpRequest,
    incident_id: int,
    field: str,
    save: Callable[[Librarian, str], object],
    done: str,
) -> HttpResponse:
    """A supervisor's form on an incident's page: ``save`` its ``field``, then back to the
    page with ``done``, or the page again with the refusal beside the field."""
    me = _supervisor(request)
    if isinstance(me, HttpResponse):
        return me
    try:
        save(me, request.POST.get(field, ""))
    except ActionError as exc:
        if exc.code in {"forbidden", "not_found"}:
            return _forbidden(request, exc.message, exc.status)
        return _incident_page(request, incident_id, errors={field: exc.message}, status=exc.status)
    messages.success(request, done)
    return redirect("console:incident-show", incident_id=incident_id)


@login_required
@require_POST
def incident_close(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Close an incident with the form's note."""
    return _incident_form(
        request,
        incident_id,
        "note",
        lambda me, note: check_close_incident(me, incident_id, note=note),
        "Incident closed.",
    )


@login_required
@require_POST
def incident_follow_up(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Change an incident's follow-up."""
    return _incident_form(
        request,
        incident_id,
        "follow_up",
        lambda me, text: check_change_follow_up(me, incident_id, follow_up=text),
        "Follow-up saved.",
    )
