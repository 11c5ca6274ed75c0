"""Content-Security-Policy on every response: no inline script, nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        ancestors = " ".join(["'self'", *settings.EMBED_ORIGINS])
        base = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'"
        )
        self.policy = f"{base}; frame-ancestors 'none'"
        self.frame_policy = f"{base}; frame-ancestors {ancestors}"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        framable = getattr(response, "refdesk_framable", False)
        response.headers.setdefault(
            "Content-Security-Policy", self.frame_policy if framable else self.policy
        )
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
