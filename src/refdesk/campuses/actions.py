"""The only writer of campuses and their opening hours."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from refdesk.campuses.models import Campus, OpeningHours
from refdesk.core.errors import ActionError

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SUNDAY = 6


def do_upsert_campus(
    slug: str,
    *,
    name: str,
    colour: str,
    timezone: str,
    website: str = "",
    position: int = 0,
) -> Campus:
    """Create the campus with this slug, or update every given field of the existing one.

    Leaves its opening hours, librarians, chats and tickets alone. Raises
    ``ActionError("invalid")`` for a colour that is not ``#rrggbb`` or an unknown IANA
    timezone.
    """
    if not _COLOUR.match(colour):
        raise ActionError("invalid", f"A colour is #rrggbb, not {colour!r}.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ActionError("invalid", f"{timezone!r} is not a known timezone.") from exc
    with transaction.atomic():
        campus, _ = Campus.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "colour": colour,
                "timezone": timezone,
                "website": website,
                "position": position,
            },
        )
    return campus


def do_set_weekly_hours(campus: Campus, *, hours: dict[int, list[tuple[dt.time, dt.time]]]) -> None:
    """Replace the campus's opening hours with ``hours`` in one transaction.

    ``hours`` maps a weekday (0 = Monday) to its (opens, closes) periods; a day left out
    is closed. Writes nothing when the hours are already exactly these. Raises
    ``ActionError("invalid")`` for a weekday outside 0 to 6, a period that does not close
    after it opens (no period runs past midnight), or periods of one day that overlap.
    """
    wanted: list[tuple[int, dt.time, dt.time]] = []
    for weekday, periods in hours.items():
        if not 0 <= weekday <= _SUNDAY:
            raise ActionError("invalid", f"A weekday is 0 (Monday) to 6 (Sunday), not {weekday}.")
        ordered = sorted(periods)
        for opens, closes in ordered:
            if closes <= opens:
                raise ActionError("invalid", f"{closes:%H:%M} is not after {opens:%H:%M}.")
        for (_, earlier_closes), (later_opens, _) in itertools.pairwise(ordered):
            if later_opens < earlier_closes:
                raise ActionError("invalid", "Opening periods of one day overlap.")
        wanted.extend((weekday, opens, closes) for opens, closes in ordered)
    wanted.sort()
    with transaction.atomic():
        current = sorted(
            OpeningHours.objects.filter(campus=campus).values_list("weekday", "opens", "closes")
        )
        if current == wanted:
            return
        OpeningHours.objects.filter(campus=campus).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(campus=campus, weekday=weekday, opens=opens, closes=closes)
            for weekday, opens, closes in wanted
        )
