"""The patron JSON API for chats."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from refdesk.chats.actions import check_create_chat
from refdesk.core.errors import ActionError
from refdesk.core.http import client_address, error_response, parse_json_body


@csrf_exempt  # cookie-less; see parse_json_body for how forgery is refused
@require_POST
def chat_create(request: HttpRequest) -> JsonResponse:
    """``POST /api/chats`` → ``201 {chat_id, token}``, or a 4xx with ``{code, message}``."""
    try:
        data = parse_json_body(request)
        chat, token = check_create_chat(
            campus_slug=data.get("campus"),
            name=data.get("name"),
            email=data.get("email"),
            question=data.get("question"),
            page_url=data.get("page_url"),
            user_agent=request.headers.get("User-Agent", ""),
            address=client_address(request),
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
