"""The only writer of campuses, their hours, closures, special hours and links.

Every change writes an audit entry (:func:`refdesk.core.actions.do_record_audit`) in its
transaction; ``actor`` is the user who made it (``None``: the command line). Setting a
thing to what it already is writes nothing and audits nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import ProtectedError

from refdesk.campuses.models import (
    Campus,
    CampusLink,
    Closure,
    LinkKind,
    OpeningHours,
    SpecialHours,
)
from refdesk.campuses.selectors import colour_problem, get_campus_facts
from refdesk.core.actions import do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit
from refdesk.core.text import clean_text

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SUNDAY = 6
_MIDNIGHT = dt.time(0)

Period = tuple[dt.time, dt.time]


def _audit(
    actor: AbstractBaseUser | None, action: str, campus: Campus, changes: dict[str, Any]
) -> None:
    do_record_audit(
        actor,
        action,
        target_type="campus",
        target_id=campus.pk,
        target_repr=f"{campus.name} ({campus.slug})",
        changes=changes,
    )


def check_campus_fields(*, slug: str, name: str, colour: str, timezone: str) -> None:
    """Raise ``ActionError("invalid", field=...)`` for the first field a campus cannot have:
    a slug that is not lower-case letters, digits and hyphens, an empty name, a colour that
    is not ``#rrggbb`` or too light to see on the page, an unknown IANA timezone."""
    if not _SLUG.match(slug):
        raise ActionError(
            "invalid",
            f"A slug is 1 to 40 lower-case letters, digits and hyphens, not {slug!r}.",
            field="slug",
        )
    if not name.strip():
        raise ActionError("invalid", "A campus needs a name.", field="name")
    if not _COLOUR.match(colour):
        raise ActionError("invalid", f"A colour is #rrggbb, not {colour!r}.", field="colour")
    problem = colour_problem(colour)
    if problem:
        raise ActionError("invalid", problem, field="colour")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ActionError(
            "invalid", f"{timezone!r} is not a known timezone.", field="timezone"
        ) from exc


def do_upsert_campus(
    slug: str,
    *,
    name: str,
    colour: str,
    timezone: str,
    website: str = "",
    position: int = 0,
    actor: AbstractBaseUser | None = None,
) -> Campus:
    """Create the campus with this slug, or update every given field of the existing one.

    Leaves its hours, librarians, chats and tickets alone. Raises ``ActionError("invalid")``
    for a field :func:`check_campus_fields` refuses.
    """
    check_campus_fields(slug=slug, name=name, colour=colour, timezone=timezone)
    wanted = {
        "name": name,
        "colour": colour,
        "timezone": timezone,
        "website": website,
        "position": position,
    }
    with transaction.atomic():
        campus = Campus.objects.select_for_update().filter(slug=slug).first()
        if campus is None:
            campus = Campus.objects.create(slug=slug, **wanted)
            _audit(actor, "campus.add", campus, {"slug": slug, **wanted})
            return campus
        changes = {
            key: [getattr(campus, key), value]
            for key, value in wanted.items()
            if getattr(campus, key) != value
        }
        if changes:
            Campus.objects.filter(pk=campus.pk).update(**wanted)
            for key, value in wanted.items():
                setattr(campus, key, value)
            _audit(actor, "campus.change", campus, changes)
    return campus


def do_rename_campus_slug(
    campus: Campus, *, slug: str, actor: AbstractBaseUser | None = None
) -> Campus:
    """Give the campus a new slug (its ``/ask/<slug>/`` address changes with it). Raises
    ``ActionError("invalid")`` for a malformed slug or one another campus has."""
    if slug == campus.slug:
        return campus
    if not _SLUG.match(slug):
        raise ActionError(
            "invalid",
            f"A slug is 1 to 40 lower-case letters, digits and hyphens, not {slug!r}.",
            field="slug",
        )
    with transaction.atomic():
        if Campus.objects.filter(slug=slug).exclude(pk=campus.pk).exists():
            raise ActionError("invalid", f"Another campus has the slug {slug!r}.", field="slug")
        old = campus.slug
        Campus.objects.filter(pk=campus.pk).update(slug=slug)
        campus.slug = slug
        _audit(actor, "campus.change", campus, {"slug": [old, slug]})
    return campus


def do_delete_campus(campus: Campus, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete a campus that nothing uses yet, with its hours and links. A campus with
    librarians, chats or tickets stays: ``ActionError("in_use")`` says what holds it."""
    with transaction.atomic():
        held = [
            f"{count} {what}"
            for what, count in (
                ("librarian(s)", campus.librarians.count()),
                ("chat(s)", campus.chats.count()),
                ("ticket(s)", campus.tickets.count()),
            )
            if count
        ]
        if held:
            raise ActionError(
                "in_use",
                f"{campus.name} has {', '.join(held)}; move or remove them first.",
            )
        _audit(actor, "campus.delete", campus, {"slug": campus.slug, "name": campus.name})
        try:
            Campus.objects.filter(pk=campus.pk).delete()
        except ProtectedError as exc:  # a row added since the count above
            raise ActionError("in_use", f"{campus.name} is in use.") from exc


def _end_minutes(opens: dt.time, closes: dt.time) -> int:
    """Minutes from the day's start to the period's end (past 1440 for a late period)."""
    start = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    return end if end > start else end + 24 * 60


def check_periods(periods: Iterable[Period], *, what: str) -> list[Period]:
    """One day's periods in order. A period that closes at or before it opens runs past
    midnight (``00:00-00:00``: the whole day). Raises ``ActionError("invalid")`` when two
    periods overlap."""
    ordered = sorted(periods)
    for earlier, later in itertools.pairwise(ordered):
        if _end_minutes(*earlier) > later[0].hour * 60 + later[0].minute:
            raise ActionError("invalid", f"Opening periods of {what} overlap.")
    return ordered


def _check_spill(day_periods: dict[Any, list[Period]], next_of: Any, *, what: Any) -> None:
    """A period past midnight must close before the next day's first period opens."""
    for key, periods in day_periods.items():
        if not periods:
            continue
        spill = _end_minutes(*periods[-1]) - 24 * 60
        following = day_periods.get(next_of(key)) or []
        if spill > 0 and following:
            first = following[0][0]
            if spill > first.hour * 60 + first.minute:
                raise ActionError(
                    "invalid", f"The late period of {what(key)} runs into the next day's hours."
                )


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_weekly_hours(hours: dict[int, list[Period]]) -> list[tuple[int, dt.time, dt.time]]:
    """The week's periods as sorted (weekday, opens, closes) rows, as
    :func:`do_set_weekly_hours` would store them. Raises ``ActionError("invalid")`` for a
    weekday outside 0 to 6 or periods that overlap (within a day, or a late period into
    the next day's)."""
    checked: dict[int, list[Period]] = {}
    for weekday, periods in hours.items():
        if not 0 <= weekday <= _SUNDAY:
            raise ActionError("invalid", f"A weekday is 0 (Monday) to 6 (Sunday), not {weekday}.")
        checked[weekday] = check_periods(periods, what=_WEEKDAY_NAMES[weekday])
    _check_spill(checked, lambda day: (day + 1) % 7, what=lambda day: _WEEKDAY_NAMES[day])
    return sorted((day, o, c) for day, periods in checked.items() for o, c in periods)


def do_set_weekly_hours(
    campus: Campus,
    *,
    hours: dict[int, list[Period]],
    actor: AbstractBaseUser | None = None,
) -> bool:
    """Replace the campus's weekly hours with ``hours`` in one transaction; returns whether
    anything changed.

    ``hours`` maps a weekday (0 = Monday) to its (opens, closes) periods; a day left out is
    closed. A period that closes at or before it opens runs past midnight. Raises
    ``ActionError("invalid")`` for a weekday outside 0 to 6 or periods that overlap
    (within a day, or a late period into the next day's).
    """
    wanted = check_weekly_hours(hours)
    with transaction.atomic():
        current = sorted(
            OpeningHours.objects.filter(campus=campus).values_list("weekday", "opens", "closes")
        )
        if current == wanted:
            return False
        OpeningHours.objects.filter(campus=campus).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(campus=campus, weekday=weekday, opens=opens, closes=closes)
            for weekday, opens, closes in wanted
        )
        _audit(
            actor,
            "campus.hours",
            campus,
            {"before": _week_text(current), "after": _week_text(wanted)},
        )
        _announce_facts(campus)
    return True


def _week_text(rows: list[tuple[int, dt.time, dt.time]]) -> dict[str, str]:
    days: dict[str, list[str]] = {}
    for day, opens, closes in rows:
        days.setdefault(_WEEKDAY_NAMES[day], []).append(f"{opens:%H:%M}-{closes:%H:%M}")
    return {day: ", ".join(periods) for day, periods in days.items()}


@dataclass(frozen=True)
class ClosureSpec:
    starts: dt.date
    ends: dt.date
    reason: str = ""


@dataclass(frozen=True)
class SpecialDaySpec:
    date: dt.date
    periods: tuple[Period, ...]
    note: str = ""


def check_closures(closures: list[ClosureSpec]) -> list[tuple[dt.date, dt.date, str]]:
    """The closures as sorted (starts, ends, reason) rows, as :func:`do_set_closures` would
    store them. Raises ``ActionError("invalid")`` for a closure that ends before it
    starts."""
    for closure in closures:
        if closure.ends < closure.starts:
            raise ActionError(
                "invalid",
                f"The closure from {closure.starts} ends before it starts ({closure.ends}).",
            )
    return sorted((c.starts, c.ends, c.reason.strip()) for c in closures)


def do_set_closures(
    campus: Campus, *, closures: list[ClosureSpec], actor: AbstractBaseUser | None = None
) -> bool:
    """Replace the campus's dated closures; returns whether anything changed. Raises
    ``ActionError("invalid")`` for a closure that ends before it starts."""
    wanted = check_closures(closures)
    with transaction.atomic():
        current = sorted(
            Closure.objects.filter(campus=campus).values_list("starts", "ends", "reason")
        )
        if current == wanted:
            return False
        Closure.objects.filter(campus=campus).delete()
        Closure.objects.bulk_create(
            Closure(campus=campus, starts=starts, ends=ends, reason=reason)
            for starts, ends, reason in wanted
        )
        _audit(
            actor,
            "campus.closures",
            campus,
            {"before": _closure_text(current), "after": _closure_text(wanted)},
        )
        _announce_facts(campus)
    return True


def _closure_text(rows: list[tuple[dt.date, dt.date, str]]) -> list[str]:
    return [
        f"{starts}{'' if ends == starts else f'..{ends}'}{f' {reason}' if reason else ''}"
        for starts, ends, reason in rows
    ]


def check_special_hours(
    days: list[SpecialDaySpec],
) -> list[tuple[dt.date, dt.time, dt.time, str]]:
    """The special hours as sorted (date, opens, closes, note) rows, as
    :func:`do_set_special_hours` would store them. Raises ``ActionError("invalid")`` for a
    date given twice, a day without periods, or periods that overlap."""
    by_date: dict[dt.date, list[Period]] = {}
    notes: dict[dt.date, str] = {}
    for day in days:
        if day.date in by_date:
            raise ActionError("invalid", f"Special hours for {day.date} are given twice.")
        if not day.periods:
            raise ActionError(
                "invalid", f"Special hours for {day.date} need a period; a closed day is a closure."
            )
        by_date[day.date] = check_periods(day.periods, what=str(day.date))
        notes[day.date] = day.note.strip()
    _check_spill(by_date, lambda d: d + dt.timedelta(days=1), what=str)
    return sorted((d, o, c, notes[d]) for d, periods in by_date.items() for o, c in periods)


def do_set_special_hours(
    campus: Campus, *, days: list[SpecialDaySpec], actor: AbstractBaseUser | None = None
) -> bool:
    """Replace the campus's special hours (dated periods in place of the week's); returns
    whether anything changed. A day with no periods is refused (that is a closure). Raises
    ``ActionError("invalid")`` for a date given twice, a day without periods, or periods
    that overlap."""
    wanted = check_special_hours(days)
    with transaction.atomic():
        current = sorted(
            SpecialHours.objects.filter(campus=campus).values_list(
                "date", "opens", "closes", "note"
            )
        )
        if current == wanted:
            return False
        SpecialHours.objects.filter(campus=campus).delete()
        SpecialHours.objects.bulk_create(
            SpecialHours(campus=campus, date=d, opens=o, closes=c, note=note)
            for d, o, c, note in wanted
        )
        _audit(
            actor,
            "campus.special_hours",
            campus,
            {"before": _special_text(current), "after": _special_text(wanted)},
        )
        _announce_facts(campus)
    return True


def _special_text(rows: list[tuple[dt.date, dt.time, dt.time, str]]) -> list[str]:
    return [f"{d} {o:%H:%M}-{c:%H:%M}{f' {note}' if note else ''}" for d, o, c, note in rows]


@dataclass(frozen=True)
class LinkSpec:
    kind: str
    title: str
    url: str


def check_links(links: list[LinkSpec]) -> list[tuple[str, str, str]]:
    """The links as (kind, title, url) rows in order, as :func:`do_set_links` would store
    them. Raises ``ActionError("invalid")`` for an unknown kind, an empty title, or an
    address that is not http or https."""
    for link in links:
        if link.kind not in LinkKind.values:
            raise ActionError("invalid", f"A link's kind is one of {', '.join(LinkKind.values)}.")
        if not link.title.strip():
            raise ActionError("invalid", "A link needs a title.")
        if not re.match(r"^https?://[^\s<>\"]+$", link.url):
            raise ActionError("invalid", f"A link is an http or https address, not {link.url!r}.")
    return [(link.kind, link.title.strip(), link.url) for link in links]


def do_set_links(
    campus: Campus, *, links: list[LinkSpec], actor: AbstractBaseUser | None = None
) -> bool:
    """Replace the campus's links, in this order; returns whether anything changed. Raises
    ``ActionError("invalid")`` for an unknown kind, an empty title, or an address that is
    not http or https."""
    wanted = check_links(links)
    with transaction.atomic():
        current = list(
            CampusLink.objects.filter(campus=campus)
            .order_by("position", "pk")
            .values_list("kind", "title", "url")
        )
        if current == wanted:
            return False
        CampusLink.objects.filter(campus=campus).delete()
        CampusLink.objects.bulk_create(
            CampusLink(campus=campus, kind=kind, title=title, url=url, position=position)
            for position, (kind, title, url) in enumerate(wanted)
        )
        _audit(
            actor,
            "campus.links",
            campus,
            {
                "before": [f"{t} <{u}>" for _, t, u in current],
                "after": [f"{t} <{u}>" for _, t, u in wanted],
            },
        )
        _announce_facts(campus)
    return True


# ---------------------------------------------------------------------------
# Staff notes, and the console's campus panel
# ---------------------------------------------------------------------------

# A cheat sheet, not a manual: a few thousand characters.
MAX_STAFF_NOTES_CHARS = 4000


def _announce_facts(campus: Campus) -> None:
    """Send every console the campus's facts as they are after this transaction's change
    (``campus.facts``, to the staff group, after the commit)."""
    facts = get_campus_facts(campus.slug)
    if facts is not None:
        send_event_on_commit([STAFF_GROUP], {"type": "campus.facts", "facts": facts})


def clean_staff_notes(value: object) -> str:
    """Staff notes as plain text of at most ``MAX_STAFF_NOTES_CHARS`` characters (line
    breaks kept). Raises ``ActionError`` (``invalid`` or ``too_long``, field ``notes``)."""
    return clean_text(value, field="notes", max_chars=MAX_STAFF_NOTES_CHARS)


def do_set_staff_notes(
    campus: Campus, notes: object, *, actor: AbstractBaseUser | None = None
) -> bool:
    """Replace the campus's staff notes; returns whether they changed. Writes a
    ``campus.staff_notes`` audit entry and sends ``campus.facts`` to the staff group when
    they did. Raises ``ActionError`` for notes :func:`clean_staff_notes` refuses."""
    text = clean_staff_notes(notes)
    with transaction.atomic():
        current = (
            Campus.objects.select_for_update()
            .filter(pk=campus.pk)
            .values_list("staff_notes", flat=True)
            .first()
        )
        if current is None:
            raise ActionError("not_found", "There is no such campus.", field="campus")
        if current == text:
            return False
        Campus.objects.filter(pk=campus.pk).update(staff_notes=text)
        campus.staff_notes = text
        _audit(actor, "campus.staff_notes", campus, {"staff_notes": [current, text]})
        _announce_facts(campus)
    return True
