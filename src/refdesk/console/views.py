"""The librarian console page; its live parts are ES modules on the staff socket."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refdesk.accounts.selectors import get_librarian_for_user
from refdesk.campuses.selectors import list_campuses


@login_required
def console_show(request: HttpRequest) -> HttpResponse:
    librarian = get_librarian_for_user(request.user)
    if librarian is None:
        raise PermissionDenied("Only librarians can use the console.")
    campuses = list_campuses()
    # The console's away timer: no keyboard or pointer input this long sends presence.set.
    away_after_ms = round(settings.REFDESK["AWAY_AFTER_MINUTES"] * 60_000)
    # The thresholds of an active chat's timers (console/timers.js).
    desk = settings.REFDESK
    timers = {
        "dead_air_amber_ms": desk["DEAD_AIR_AMBER_SECONDS"] * 1000,
        "dead_air_red_ms": desk["DEAD_AIR_RED_SECONDS"] * 1000,
        "silent_ask_ms": round(desk["SILENT_PATRON_MINUTES"] * 60_000),
        "silent_end_ms": round(desk["SILENT_PATRON_END_MINUTES"] * 60_000),
    }
    return render(
        request,
        "console/console.html",
        {
            "librarian": librarian,
            "campuses": campuses,
            "away_after_ms": away_after_ms,
            "timers": timers,
        },
    )
