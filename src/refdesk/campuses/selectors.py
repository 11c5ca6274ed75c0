"""Reads about campuses shared by the widget, the console and the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from refdesk.campuses.models import Campus, OpeningHours


def _format_time(value: dt.time) -> str:
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"  # noqa: PLR2004
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def get_hours_today(campus: Campus, *, now: dt.datetime | None = None) -> str:
    """The campus's opening hours for today in its own timezone, e.g. "8am–10pm" or "Closed".

    Uses prefetched ``campus.hours`` when present.
    """
    local = (now or timezone.now()).astimezone(ZoneInfo(campus.timezone))
    periods: list[OpeningHours] = [h for h in campus.hours.all() if h.weekday == local.weekday()]
    if not periods:
        return "Closed today"
    periods.sort(key=lambda h: h.opens)
    return ", ".join(f"{_format_time(h.opens)}–{_format_time(h.closes)}" for h in periods)


_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class OpeningStatus:
    """Whether a campus is open now by its hours, and when it next opens ("8am",
    "8am tomorrow", "10am Saturday"; None when it has no hours at all)."""

    open_now: bool
    opens_next: str | None

    def describe(self) -> str:
        """What a patron reads: "Open now", "Closed now, opens at 8am tomorrow"."""
        if self.open_now:
            return "Open now"
        if self.opens_next is None:
            return "Closed now"
        return f"Closed now, opens at {self.opens_next}"


def get_opening_status(campus: Campus, *, now: dt.datetime | None = None) -> OpeningStatus:
    """Is the campus open now, by its opening hours in its own timezone, and when does it
    next open. Uses prefetched ``campus.hours`` when present."""
    local = (now or timezone.now()).astimezone(ZoneInfo(campus.timezone))
    hours = list(campus.hours.all())
    today, moment = local.weekday(), local.time()
    if any(h.weekday == today and h.opens <= moment < h.closes for h in hours):
        return OpeningStatus(open_now=True, opens_next=None)
    for ahead in range(8):
        day = (today + ahead) % 7
        starts = sorted(h.opens for h in hours if h.weekday == day and (ahead or h.opens > moment))
        if starts:
            when = _format_time(starts[0])
            if ahead == 1:
                when += " tomorrow"
            elif ahead > 1:
                when += f" on {_DAY_NAMES[day]}"
            return OpeningStatus(open_now=False, opens_next=when)
    return OpeningStatus(open_now=False, opens_next=None)


def get_weekly_hours(campus: Campus) -> list[tuple[str, str]]:
    """(day name, hours) for Monday to Sunday."""
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rows: list[tuple[str, str]] = []
    hours = list(campus.hours.all())
    for day, name in enumerate(names):
        periods = sorted((h for h in hours if h.weekday == day), key=lambda h: h.opens)
        text = ", ".join(f"{_format_time(h.opens)}–{_format_time(h.closes)}" for h in periods)
        rows.append((name, text or "Closed"))
    return rows


def list_campuses() -> list[Campus]:
    """Every campus, in display order, with hours prefetched."""
    return list(Campus.objects.prefetch_related("hours").order_by("position", "name"))


# What a slug can be (Django's SlugField); anything else names no campus and is never sent
# to the database (a lone surrogate or a NUL would make the driver fail).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def get_campus_by_slug(slug: str) -> Campus | None:
    """The campus with that slug (hours prefetched), or None."""
    if not _SLUG.fullmatch(slug):
        return None
    return Campus.objects.prefetch_related("hours").filter(slug=slug).first()


_SLUG = re.compile(r"[-\w]{1,40}", re.ASCII)


def get_campus_id(slug: object) -> int | None:
    """The id of the campus with that slug, or None; anything that cannot be a slug (not
    text, too long, other characters) is None without a query."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    return Campus.objects.filter(slug=slug).values_list("pk", flat=True).first()


def badge_text_colour(colour: str) -> str:
    """Black or white, whichever contrasts more with the badge colour (WCAG luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]  # noqa: PLR2004
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
