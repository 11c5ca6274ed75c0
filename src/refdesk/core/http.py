"""Helpers for the JSON API: parse a body, answer an ``ActionError``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from refdesk.core import origins
from refdesk.core.errors import ActionError

MAX_BODY_BYTES = 64 * 1024


def error_response(exc: ActionError) -> JsonResponse:
    """The refusal as JSON; a rate limit's wait is also in the ``Retry-After`` header."""
    response = JsonResponse(exc.as_dict(), status=exc.status)
    if "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def parse_json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, or ``ActionError``.

    Patron endpoints carry no cookie, so they are safe from cross-site request forgery as
    long as a plain HTML form cannot reach them: a JSON content type is required (a
    cross-site one needs a CORS preflight, which the desk never grants) and a browser's
    Origin, when sent, must be the desk itself or a configured embedding site.
    """
    if request.content_type != "application/json":
        raise ActionError("invalid", "Send the request body as application/json.")
    origin = request.headers.get("Origin")
    if origin and not origin_allowed(origin, request):
        raise ActionError("forbidden", "Requests from this site are not accepted.")
    if len(request.body) > MAX_BODY_BYTES:
        raise ActionError("too_long", "The request body is too large.")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError) as exc:
        raise ActionError("bad_json", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ActionError("invalid", "The request body must be a JSON object.")
    return data


def origin_allowed(origin: str, request: HttpRequest) -> bool:
    """The patron API's origin rule: the desk itself or a configured embedding site."""
    return origins.origin_allowed(
        origin, request.get_host(), secure=request.is_secure(), embedding=True
    )


def client_address(request: HttpRequest) -> str:
    """The patron's address as the server (or its trusted proxy) saw it."""
    if settings.REFDESK["TRUST_X_FORWARDED_FOR"]:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
