"""The patron JSON API for tickets: the offline form."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from refdesk.core.errors import ActionError
from refdesk.core.http import client_address, error_response, parse_json_body
from refdesk.tickets.actions import check_create_ticket


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
