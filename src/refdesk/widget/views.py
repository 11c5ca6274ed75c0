"""The patron's pages: the landing page, the ask page (standalone or framed by the
widget), the embed script and an example campus page that embeds it; and the patron's
JSON API for starting a chat, which refuses a blocked patron before anything else."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from refdesk.accounts.selectors import count_online_by_campus
from refdesk.campuses.selectors import (
    get_campus_by_slug,
    get_coming_exceptions,
    get_hours_today,
    get_opening_status,
    get_weekly_hours,
    list_campuses,
)
from refdesk.chats.actions import check_create_chat
from refdesk.core.errors import ActionError
from refdesk.core.http import client_address, error_response, parse_json_body
from refdesk.core.text import strip_query
from refdesk.safety.actions import BLOCKED_MESSAGE, check_patron_may_chat, check_patron_status
from refdesk.safety.selectors import is_patron_blocked


def ask_show(request: HttpRequest, campus: str) -> HttpResponse:
    """``/ask/<campus>/``: the pre-chat form and the chat; ``?embed=1`` inside the widget.

    Only the ``?embed=1`` page may be framed, and only by the desk itself and the
    configured embedding sites (CSP ``frame-ancestors``); the page of its own refuses
    every frame, like every other page.
    """
    found = get_campus_by_slug(campus)
    if found is None:
        raise Http404("No such campus")
    embedded = request.GET.get("embed") == "1"
    # A blocked address sees a neutral notice instead of the form (a blocked browser on
    # another address is told by POST /api/chats/status, which the page's script asks on
    # load with the browser's id: the page itself cannot know it).
    blocked = is_patron_blocked(address=client_address(request), browser_id="")
    response = render(
        request,
        "widget/ask.html",
        {
            "campus": found,
            "embedded": embedded,
            "hours_today": get_hours_today(found),
            "opening": get_opening_status(found),
            "weekly_hours": get_weekly_hours(found),
            "coming_exceptions": get_coming_exceptions(found),
            "page_url": strip_query(request.GET.get("from", "")),
            "max_message_chars": settings.REFDESK["MAX_MESSAGE_CHARS"],
            "max_name_chars": settings.REFDESK["MAX_NAME_CHARS"],
            "blocked": blocked,
            "blocked_message": BLOCKED_MESSAGE,
        },
    )
    if embedded:
        response.refdesk_framable = True  # type: ignore[attr-defined]
        response.xframe_options_exempt = True
    return response


def widget_script(request: HttpRequest) -> HttpResponse:
    """``/widget.js`` at a stable address for campus pages; cached for an hour."""
    path = finders.find("refdesk/widget.js")
    if not path or isinstance(path, list):
        raise Http404("widget missing")
    with open(path, "rb") as handle:
        body = handle.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def home_show(request: HttpRequest) -> HttpResponse:
    """``/``: every campus's ask page, and the way in for librarians."""
    return render(request, "widget/home.html", {"campuses": list_campuses()})


def example_show(request: HttpRequest, campus: str) -> HttpResponse:
    """A stand-in for a campus library's own web page, embedding the widget with one tag."""
    found = get_campus_by_slug(campus)
    if found is None:
        raise Http404("No such campus")
    return render(request, "widget/example.html", {"campus": found})


@require_GET
def campus_list(request: HttpRequest) -> JsonResponse:
    """``GET /api/campuses``: each campus with ``hours_today``, whether any operator is
    online (a librarian whose status is online; away ones do not count) and how many from
    that campus."""
    online_by_campus = count_online_by_campus()
    anyone = bool(online_by_campus)
    campuses = []
    for c in list_campuses():
        opening = get_opening_status(c)
        campuses.append(
            {
                "slug": c.slug,
                "name": c.name,
                "colour": c.colour,
                "hours_today": get_hours_today(c),
                "open_now": opening.open_now,
                "opens_next": opening.opens_next,
                "online": anyone,
                "operators_online": online_by_campus.get(c.pk, 0),
            }
        )
    return JsonResponse({"campuses": campuses})


@csrf_exempt  # cookie-less; see parse_json_body for how forgery is refused
@require_POST
def chat_create(request: HttpRequest) -> JsonResponse:
    """``POST /api/chats`` → ``201 {chat_id, token}``, or a 4xx with ``{code, message}``;
    ``403 {code: "blocked"}`` with a neutral message for a blocked browser or address."""
    try:
        data = parse_json_body(request)
        address = client_address(request)
        check_patron_may_chat(address=address, browser_id=data.get("browser"))
        chat, token = check_create_chat(
            campus_slug=data.get("campus"),
            name=data.get("name"),
            email=data.get("email"),
            question=data.get("question"),
            page_url=data.get("page_url"),
            user_agent=request.headers.get("User-Agent", ""),
            address=address,
            browser_id=data.get("browser"),
        )
    except ActionError as exc:
        return error_response(exc)
    return JsonResponse(
        {
            "chat_id": chat.pk,
            "token": token,
            "patron_name": chat.patron_name,
            "question": chat.question,
            "name_was_question": chat.name_was_question,
        },
        status=201,
    )


@csrf_exempt  # cookie-less; see parse_json_body for how forgery is refused
@require_POST
def chat_status(request: HttpRequest) -> JsonResponse:
    """``POST /api/chats/status {browser}`` → ``200 {available: true}``, or ``200
    {available: false, message}`` with the blocked patron's neutral message; a 4xx with
    ``{code, message}`` for a bad request or too many (``rate_limited``)."""
    try:
        data = parse_json_body(request)
        available = check_patron_status(
            address=client_address(request), browser_id=data.get("browser", "")
        )
    except ActionError as exc:
        return error_response(exc)
    if available:
        return JsonResponse({"available": True})
    return JsonResponse({"available": False, "message": BLOCKED_MESSAGE})
