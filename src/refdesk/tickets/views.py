"""The patron's side of tickets: the offline form, and a ticket's page and API opened by
the link in its emails."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from refdesk.core.errors import ActionError
from refdesk.core.http import client_address, error_response, parse_json_body
from refdesk.tickets.actions import check_create_ticket, check_patron_answer
from refdesk.tickets.selectors import get_ticket_by_token, patron_ticket_view


@csrf_exempt  # cookie-less; see parse_json_body for how forgery is refused
@require_POST
def ticket_create(request: HttpRequest) -> JsonResponse:
    """``POST /api/tickets`` → ``201 {ticket_id}``, or a 4xx with ``{code, message}``."""
    try:
        data = parse_json_body(request)
        ticket = check_create_ticket(
            campus_slug=data.get("campus"),
            name=data.get("name"),
            email=data.get("email"),
            question=data.get("question"),
            page_url=data.get("page_url"),
            address=client_address(request),
            browser_id=data.get("browser"),
        )
    except ActionError as exc:
        return error_response(exc)
    return JsonResponse({"ticket_id": ticket.pk}, status=201)


def ticket_show(request: HttpRequest, token: str) -> HttpResponse:
    """``/tickets/<token>/``: the patron's page of their ticket, drawn by ticket.js from
    the API below. A link that opens nothing gets the same page with a plain 404."""
    found = get_ticket_by_token(token) is not None
    return render(
        request,
        "tickets/ticket.html",
        {"found": found, "max_chars": settings.REFDESK["MAX_MESSAGE_CHARS"]},
        status=200 if found else 404,
    )


def ticket_detail(request: HttpRequest, token: str) -> JsonResponse:
    """``GET /api/tickets/<token>`` → the ticket and its thread, without notes."""
    if request.method != "GET":
        return JsonResponse({"code": "invalid", "message": "GET only."}, status=405)
    ticket = get_ticket_by_token(token)
    if ticket is None:
        return JsonResponse({"code": "not_found", "message": "No such question."}, status=404)
    response = JsonResponse(patron_ticket_view(ticket))
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # cookie-less; see parse_json_body for how forgery is refused
@require_POST
def ticket_reply_create(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /api/tickets/<token>/replies {body}`` → ``201`` with the ticket as the
    patron sees it; the ticket opens again and every console hears of it."""
    ticket = get_ticket_by_token(token)
    if ticket is None:
        return JsonResponse({"code": "not_found", "message": "No such question."}, status=404)
    try:
        data = parse_json_body(request)
        check_patron_answer(
            ticket,
            body=data.get("body"),
            address=client_address(request),
            browser_id=data.get("browser"),
        )
    except ActionError as exc:
        return error_response(exc)
    fresh = get_ticket_by_token(token)
    return JsonResponse(patron_ticket_view(fresh or ticket), status=201)
