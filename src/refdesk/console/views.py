"""The librarian console page; its live parts are ES modules on the staff socket.

A logged-in account without a librarian profile (one made with ``createsuperuser`` or in
the admin) gets a page that says what is missing and who can fix it, with status 403: the
console stays refused until the profile exists. A superuser may give themselves the
profile there, in one click.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from refdesk.accounts.actions import do_add_profile
from refdesk.accounts.models import Role
from refdesk.accounts.selectors import get_librarian_for_user
from refdesk.campuses.selectors import list_campuses
from refdesk.console.forms import OwnProfileForm
from refdesk.core.errors import ActionError


def _no_profile(
    request: HttpRequest, form: OwnProfileForm | None = None, *, error: str = ""
) -> HttpResponse:
    """The page for an account without a librarian profile (403: no console yet)."""
    is_superuser = bool(getattr(request.user, "is_superuser", False))
    campuses = list_campuses() if is_superuser else []
    if is_superuser and form is None and campuses:
        form = OwnProfileForm(campuses=campuses)
    return render(
        request,
        "console/no_profile.html",
        {
            "is_superuser": is_superuser,
            "has_campuses": bool(campuses),
            "form": form,
            "error": error,
        },
        status=403,
    )


@login_required
def console_show(request: HttpRequest) -> HttpResponse:
    librarian = get_librarian_for_user(request.user)
    if librarian is None:
        return _no_profile(request)
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


@require_POST
def own_profile_create(request: HttpRequest) -> HttpResponse:
    """A superuser without a librarian profile gives themselves one (an admin's, with the
    home campus and display name of the form), then the console opens. Anyone else gets
    the console or its refusal as ``GET /console/`` would."""
    console = reverse("console:console-show")
    if not request.user.is_authenticated:
        return redirect_to_login(console)
    if get_librarian_for_user(request.user) is not None:
        return redirect(console)
    if not request.user.is_superuser:
        return _no_profile(request)
    form = OwnProfileForm(request.POST, campuses=list_campuses())
    if not form.is_valid():
        return _no_profile(request, form)
    try:
        do_add_profile(
            request.user,
            campus=form.chosen_campus(),
            role=Role.ADMIN,
            display_name=form.cleaned_data["display_name"],
            actor=request.user,
        )
    except ActionError as exc:
        return _no_profile(request, form, error=exc.message)
    return redirect(console)
