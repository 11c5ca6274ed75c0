"""The public list of campuses."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from refdesk.accounts.selectors import count_online_by_campus, is_anyone_online
from refdesk.campuses.selectors import badge_text_colour, get_hours_today, list_campuses


@require_GET
def campus_list(request: HttpRequest) -> JsonResponse:
    """``GET /api/campuses``: each campus with ``hours_today`` and who is online."""
    online_by_campus = count_online_by_campus()
    anyone = is_anyone_online()
    return JsonResponse(
        {
            "campuses": [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "colour": c.colour,
                    "hours_today": get_hours_today(c),
                    "online": anyone,
                    "operators_online": online_by_campus.get(c.pk, 0),
                }
                for c in list_campuses()
            ]
        }
    )


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
