"""Reads about campuses shared by the widget, the console and the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.utils import timezone

from refdesk.campuses.models import Campus, CampusLink, Closure, SpecialHours

if TYPE_CHECKING:
    from refdesk.campuses.events import CampusFacts


def _format_time(value: dt.time) -> str:
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"  # noqa: PLR2004
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
DAY_NAMES = tuple(_DAY_NAMES)
MONTHS = tuple(_MONTHS)
# How far ahead "when does it next open" looks: long enough for a winter break.
_LOOK_AHEAD_DAYS = 60


@dataclass(frozen=True)
class DayHours:
    """What one date's hours are: its periods (wall-clock opens, closes) in the order they
    open, where they come from (``week``, ``special`` or ``closure``) and the closure's
    reason or the special hours' note."""

    date: dt.date
    periods: tuple[tuple[dt.time, dt.time], ...]
    source: str
    note: str = ""

    def describe(self) -> str:
        """ "8am–10pm", "8pm–2am", "10am–2pm, 5pm–9pm", "Closed", "Closed (Thanksgiving)"."""
        if not self.periods:
            return f"Closed ({self.note})" if self.note else "Closed"
        text = ", ".join(f"{_format_time(o)}–{_format_time(c)}" for o, c in self.periods)
        return f"{text} ({self.note})" if self.note and self.source == "special" else text


def _as_list(related: Any) -> list[Any]:
    return list(related.all())


def get_day_hours(campus: Campus, day: dt.date) -> DayHours:
    """The campus's hours on ``day``: a closure covering the date wins, then special hours
    for the date, then the week's hours for its weekday. Uses prefetched ``hours``,
    ``closures`` and ``special_hours`` when present."""
    for closure in _as_list(campus.closures):
        if closure.starts <= day <= closure.ends:
            return DayHours(day, (), "closure", closure.reason)
    special = sorted(
        (s.opens, s.closes, s.note) for s in _as_list(campus.special_hours) if s.date == day
    )
    if special:
        notes = [note for _, _, note in special if note]
        return DayHours(
            day, tuple((o, c) for o, c, _ in special), "special", notes[0] if notes else ""
        )
    week = sorted((h.opens, h.closes) for h in _as_list(campus.hours) if h.weekday == day.weekday())
    return DayHours(day, tuple(week), "week")


def _intervals(campus: Campus, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's periods as UTC instants. A period that closes at or before it opens runs
    into the next day; wall-clock times are read in the campus's zone on their own date,
    so a period across a daylight-saving change is as long as the clocks make it."""
    zone = ZoneInfo(campus.timezone)
    spans = []
    for opens, closes in get_day_hours(campus, day).periods:
        end_day = day if closes > opens else day + dt.timedelta(days=1)
        start = dt.datetime.combine(day, opens, tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(end_day, closes, tzinfo=zone).astimezone(dt.UTC)
        spans.append((start, end))
    return spans


def local_now(campus: Campus, now: dt.datetime | None = None) -> dt.datetime:
    """The moment on the campus's own wall clock."""
    return (now or timezone.now()).astimezone(ZoneInfo(campus.timezone))


def get_hours_today(campus: Campus, *, now: dt.datetime | None = None) -> str:
    """The campus's hours for today in its own timezone, e.g. "8am–10pm", "8pm–2am",
    "Closed today" or "Closed today (Thanksgiving)"."""
    today = get_day_hours(campus, local_now(campus, now).date())
    if not today.periods:
        return f"Closed today ({today.note})" if today.note else "Closed today"
    return today.describe()


@dataclass(frozen=True)
class OpeningStatus:
    """Whether a campus is open now by its hours, and when it next opens ("8am",
    "8am tomorrow", "10am on Saturday", "9am on Monday 5 January"; None when it has no
    opening in sight)."""

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
    """Is the campus open now, by its hours in its own timezone (closures and special hours
    winning over the week, yesterday's late period counted), and when does it next open.
    Uses prefetched ``hours``, ``closures`` and ``special_hours`` when present."""
    moment = (now or timezone.now()).astimezone(dt.UTC)
    today = local_now(campus, moment).date()
    yesterday = today - dt.timedelta(days=1)
    if any(
        start <= moment < end
        for day in (yesterday, today)
        for start, end in _intervals(campus, day)
    ):
        return OpeningStatus(open_now=True, opens_next=None)
    for ahead in range(_LOOK_AHEAD_DAYS + 1):
        day = today + dt.timedelta(days=ahead)
        starts = sorted(start for start, _ in _intervals(campus, day) if start > moment)
        if starts:
            when = _format_time(starts[0].astimezone(ZoneInfo(campus.timezone)).time())
            if ahead == 1:
                when += " tomorrow"
            elif 1 < ahead < 7:  # noqa: PLR2004
                when += f" on {_DAY_NAMES[day.weekday()]}"
            elif ahead >= 7:  # noqa: PLR2004
                when += f" on {_DAY_NAMES[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
            return OpeningStatus(open_now=False, opens_next=when)
    return OpeningStatus(open_now=False, opens_next=None)


def get_open_until(campus: Campus, *, now: dt.datetime | None = None) -> str | None:
    """When the period the campus is open in now ends, on its own clock ("10pm", "2am"),
    or None when it is closed now. Uses prefetched hours like :func:`get_opening_status`."""
    moment = (now or timezone.now()).astimezone(dt.UTC)
    today = local_now(campus, moment).date()
    for day in (today - dt.timedelta(days=1), today):
        for start, end in _intervals(campus, day):
            if start <= moment < end:
                return _format_time(end.astimezone(ZoneInfo(campus.timezone)).time())
    return None


def get_weekly_hours(campus: Campus) -> list[tuple[str, str]]:
    """(day name, hours) of the regular week, Monday to Sunday."""
    rows: list[tuple[str, str]] = []
    hours = _as_list(campus.hours)
    for day, name in enumerate(_DAY_NAMES):
        periods = sorted((h.opens, h.closes) for h in hours if h.weekday == day)
        text = ", ".join(f"{_format_time(o)}–{_format_time(c)}" for o, c in periods)
        rows.append((name, text or "Closed"))
    return rows


def get_coming_exceptions(
    campus: Campus, *, days: int = 30, now: dt.datetime | None = None
) -> list[tuple[str, str]]:
    """(date, hours) for each of the next ``days`` days, today included, whose hours differ
    from the week's because of a closure or special hours: "Thursday 25 December",
    "Closed (Christmas)"."""
    today = local_now(campus, now).date()
    rows = []
    for ahead in range(days):
        day = today + dt.timedelta(days=ahead)
        hours = get_day_hours(campus, day)
        if hours.source != "week":
            label = f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
            rows.append((label, hours.describe()))
    return rows


def _prefetches() -> list[Prefetch[Any]]:
    """The hours and the exceptions still to come (or just past: yesterday in any zone),
    not a campus's whole history of closures."""
    since = timezone.now().date() - dt.timedelta(days=2)
    return [
        Prefetch("hours"),
        Prefetch("closures", queryset=Closure.objects.filter(ends__gte=since)),
        Prefetch("special_hours", queryset=SpecialHours.objects.filter(date__gte=since)),
    ]


def list_campuses() -> list[Campus]:
    """Every campus, in display order, with hours and coming exceptions prefetched."""
    return list(Campus.objects.prefetch_related(*_prefetches()).order_by("position", "name"))


# What a slug can be (Django's SlugField); anything else names no campus and is never sent
# to the database (a lone surrogate or a NUL would make the driver fail).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def get_campus_by_slug(slug: str) -> Campus | None:
    """The campus with that slug (hours and coming exceptions prefetched), or None."""
    if not _SLUG.fullmatch(slug):
        return None
    return Campus.objects.prefetch_related(*_prefetches()).filter(slug=slug).first()


_SLUG = re.compile(r"[-\w]{1,40}", re.ASCII)


def get_campus_id(slug: object) -> int | None:
    """The id of the campus with that slug, or None; anything that cannot be a slug (not
    text, too long, other characters) is None without a query."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    return Campus.objects.filter(slug=slug).values_list("pk", flat=True).first()


def badge_text_colour(colour: str) -> str:
    """Black or white, whichever contrasts more with the badge colour (WCAG luminance)."""
    luminance = _luminance(colour)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]  # noqa: PLR2004
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# A campus colour marks badges and row edges on the white page: 3:1 is WCAG's minimum for
# such marks (1.4.11), and the badge's own text (black or white) then has 4.5:1 or more.
PAGE_BACKGROUND = "#ffffff"
MIN_MARK_CONTRAST = 3.0


def colour_problem(colour: str) -> str:
    """Why a ``#rrggbb`` campus colour cannot be used, or "" when it can."""
    against_page = contrast_ratio(colour, PAGE_BACKGROUND)
    if against_page < MIN_MARK_CONTRAST:
        return (
            f"{colour} is too light to see on the white page ({against_page:.1f}:1; a campus "
            f"colour needs {MIN_MARK_CONTRAST:.0f}:1). Choose a darker shade."
        )
    return ""


# ---------------------------------------------------------------------------
# The campus panel's facts
# ---------------------------------------------------------------------------

# How far ahead the panel lists days whose hours differ from the week's.
FACTS_EXCEPTION_DAYS = 7


def _facts_change_at(campus: Campus, moment: dt.datetime) -> dt.datetime:
    """The next moment the facts change by the clock alone: an opening or a closing of
    yesterday's to tomorrow's periods, or the campus's next midnight."""
    zone = ZoneInfo(campus.timezone)
    today = local_now(campus, moment).date()
    tomorrow = today + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    edges = [
        edge
        for day in (today - dt.timedelta(days=1), today, tomorrow)
        for span in _intervals(campus, day)
        for edge in span
        if edge > moment
    ]
    return min([midnight, *edges])


def campus_facts(campus: Campus, *, now: dt.datetime | None = None) -> CampusFacts:
    """The campus panel's facts for ``campus`` now, on its own clock: today's hours, whether
    it is open and until when or when it opens, the coming week's exceptions, its links
    and its staff notes. Uses prefetched hours, exceptions and links when present."""
    moment = (now or timezone.now()).astimezone(dt.UTC)
    status = get_opening_status(campus, now=moment)
    text = status.describe()
    if status.open_now:
        until = get_open_until(campus, now=moment)
        text = f"Open now, until {until}" if until else text
    links = sorted(_as_list(campus.links), key=lambda link: (link.position, link.pk))
    return cast(
        "CampusFacts",
        {
            "campus": campus.slug,
            "name": campus.name,
            "timezone": campus.timezone,
            "date": local_now(campus, moment).date().isoformat(),
            "hours_today": get_hours_today(campus, now=moment),
            "open_now": status.open_now,
            "status": text,
            "exceptions": [
                [day, hours]
                for day, hours in get_coming_exceptions(
                    campus, days=FACTS_EXCEPTION_DAYS, now=moment
                )
            ],
            "links": [{"kind": k.kind, "title": k.title, "url": k.url} for k in links],
            "notes": campus.staff_notes,
            "changes_at": _facts_change_at(campus, moment).isoformat(),
        },
    )


def _facts_prefetches() -> list[Prefetch[Any]]:
    return [*_prefetches(), Prefetch("links", queryset=CampusLink.objects.order_by("position"))]


def list_campus_facts(*, now: dt.datetime | None = None) -> list[CampusFacts]:
    """Every campus's facts (:func:`campus_facts`), in display order; four queries."""
    campuses = Campus.objects.prefetch_related(*_facts_prefetches()).order_by("position", "name")
    return [campus_facts(campus, now=now) for campus in campuses]


def get_campus_facts(slug: object, *, now: dt.datetime | None = None) -> CampusFacts | None:
    """The facts of the campus with that slug, or None when no campus has it."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    campus = Campus.objects.prefetch_related(*_facts_prefetches()).filter(slug=slug).first()
    return campus_facts(campus, now=now) if campus else None
