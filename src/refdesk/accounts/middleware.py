"""A throttled log-in answers 429 with Retry-After, on every log-in page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from refdesk.accounts import throttle


class LoginThrottleMiddleware:
    """Turn the form page of a throttled log-in into ``429 Too Many Requests``.

    The backend refuses inside ``authenticate()``, where no view can set a status; it
    notes the wait on the request, and this sets the status and the exact wait for any
    log-in view, the admin's included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        wait = throttle.wait_of(request)
        if wait and response.status_code == 200:  # noqa: PLR2004 - the form shown again
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response
