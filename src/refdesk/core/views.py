"""The landing page, the example campus page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from refdesk.campuses.selectors import get_campus_by_slug, list_campuses


def home_show(request: HttpRequest) -> HttpResponse:
    campuses = list_campuses()
    return render(request, "core/home.html", {"campuses": campuses})


def example_show(request: HttpRequest, campus: str) -> HttpResponse:
    """A stand-in for a campus library's own web page, embedding the widget with one tag."""
    found = get_campus_by_slug(campus)
    if found is None:
        raise Http404("No such campus")
    return render(request, "core/example.html", {"campus": found})


def health_show(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
