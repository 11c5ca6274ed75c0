"""Each campus's colours, as a stylesheet."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from refdesk.campuses.selectors import badge_text_colour, list_campuses


@require_GET
def campus_colours(request: HttpRequest) -> HttpResponse:
    """``/campuses.css``: one class per campus with its badge colour and a contrasting text.

    A stylesheet rather than inline styles, so that the Content-Security-Policy can forbid
    inline styles everywhere. Slugs and colours are validated, so both are safe in CSS.
    """
    rules = [
        f".campus-{c.slug}{{--campus-colour:{c.colour};--campus-text:"
        f"{badge_text_colour(c.colour)}}}"
        for c in list_campuses()
    ]
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
