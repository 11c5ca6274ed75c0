"""The desk as a file: campuses, their weekly hours and librarians, in TOML.

``read_desk`` checks a whole file and returns what it describes, or raises ``DeskFileError``
with every mistake and its line; ``export_desk`` writes the desk as it is. Passwords are
never in the file. ``refdesk.setup.actions.do_import_desk`` applies a checked file.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import tomllib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tomli_w
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from refdesk.accounts.models import Librarian, Role
from refdesk.campuses.models import Campus, OpeningHours
from refdesk.core.errors import ActionError
from refdesk.core.text import clean_text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[int, list[tuple[dt.time, dt.time]]]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PERIOD = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
_USERNAME = re.compile(UnicodeUsernameValidator.regex)
_USERNAME_CHARS = 150
_URL_CHARS = 200
_EMAIL_CHARS = 254
_CAMPUS_KEYS = ("slug", "name", "colour", "timezone", "website", "hours")
_LIBRARIAN_KEYS = ("username", "display_name", "email", "campus", "role", "active")

HEADER = """\
# The desk as a file: campuses, weekly hours and librarians (never passwords).
# Import it with `refdesk setup import FILE`; see docs/setup.md.

"""


@dataclass(frozen=True)
class CampusSpec:
    slug: str
    name: str
    colour: str
    timezone: str
    website: str
    hours: Hours


@dataclass(frozen=True)
class LibrarianSpec:
    username: str
    display_name: str
    email: str
    campus: str
    role: str
    active: bool


@dataclass(frozen=True)
class Desk:
    campuses: list[CampusSpec]
    librarians: list[LibrarianSpec]


class DeskFileError(Exception):
    """Every mistake in a desk file, as (line, message), in line order."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = sorted(errors)
        count = len(self.errors)
        super().__init__(f"{count} mistake{'' if count == 1 else 's'} in the desk file")


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*([A-Za-z0-9_\-."' ]+?)\s*=""")

Path = tuple[str | int, ...]


def _key_parts(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def _locate(text: str) -> dict[Path, int]:
    """The line of each table and key of the file, by path: ``("campuses", 2, "name")``.

    tomllib gives values but not their lines; a scan of the lines for headers and keys is
    enough for the file's shapes (and the nearest known line stands in for the rest).
    """
    lines: dict[Path, int] = {}
    arrays: dict[str, int] = {}
    table: Path = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_HEADER.match(line):
            parts = _key_parts(match.group(1))
            name = ".".join(parts)
            arrays[name] = arrays.get(name, 0) + 1
            table = (*parts, arrays[name] - 1)
        elif match := _TABLE_HEADER.match(line):
            parts = _key_parts(match.group(1))
            head = parts[0]
            table = (head, arrays[head] - 1, *parts[1:]) if head in arrays else parts
        elif match := _KEY.match(line):
            lines.setdefault((*table, *_key_parts(match.group(1))), number)
            continue
        else:
            continue
        lines.setdefault(table, number)
    return lines


class _Checker:
    def __init__(self, text: str) -> None:
        self.lines = _locate(text)
        self.errors: list[tuple[int, str]] = []

    def line(self, path: Path) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def error(self, path: Path, message: str) -> None:
        self.errors.append((self.line(path), message))

    def text(
        self, entry: dict[str, Any], path: Path, key: str, *, max_chars: int, required: bool
    ) -> str:
        """A one-line plain-text value: no markup, no control or invisible characters."""
        value = entry.get(key, "")
        where = (*path, key)
        if not isinstance(value, str):
            self.error(where, f"{key} must be text in quotes.")
            return ""
        try:
            cleaned = clean_text(value, field=key, max_chars=max_chars, multiline=False)
        except ActionError as exc:
            self.error(where, exc.message)
            return ""
        if cleaned != " ".join(value.split()):
            self.error(where, f"{key} has control or invisible characters.")
        elif "<" in cleaned or ">" in cleaned:
            self.error(where, f"{key} is plain text: it may not have < or >.")
        elif required and not cleaned:
            self.error(where, f"{key} is required.")
        return cleaned

    def unknown_keys(self, entry: dict[str, Any], path: Path, known: tuple[str, ...]) -> None:
        for key in entry:
            if key == "password":
                self.error((*path, key), "Passwords are never kept in the desk file.")
            elif key not in known:
                self.error((*path, key), f"Unknown key {key!r}; expected {', '.join(known)}.")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _period(value: str) -> tuple[dt.time, dt.time] | None:
    match = _PERIOD.match(value)
    if match is None:
        return None
    oh, om, ch, cm = (int(group) for group in match.groups())
    return dt.time(oh, om), dt.time(ch, cm)


def _check_hours(check: _Checker, value: object, path: Path) -> Hours:
    hours: Hours = {}
    if not isinstance(value, dict):
        check.error(path, 'hours is a table of days: mon = ["09:00-17:00"].')
        return hours
    for day, periods in value.items():
        where = (*path, day)
        if day not in WEEKDAYS:
            check.error(where, f"Unknown day {day!r}; days are {', '.join(WEEKDAYS)}.")
            continue
        if not isinstance(periods, list) or not all(isinstance(p, str) for p in periods):
            check.error(where, f'{day} is a list of periods such as ["09:00-17:00"].')
            continue
        parsed: list[tuple[dt.time, dt.time]] = []
        for text in periods:
            period = _period(text)
            if period is None:
                check.error(where, f"{day}: {text!r} is not a period such as 09:00-17:00.")
            elif period[1] <= period[0]:
                check.error(
                    where,
                    f"{day}: {text} does not close after it opens; a period that runs past "
                    "midnight is two, one on each day.",
                )
            else:
                parsed.append(period)
        parsed.sort()
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(parsed)):
            check.error(where, f"{day}: opening periods overlap.")
            continue
        if parsed:
            hours[WEEKDAYS.index(day)] = parsed
    return hours


def _checked(value: object, validator: Callable[[str], None], *, max_chars: int) -> str | None:
    """``value`` if it is empty or a string the validator accepts, else ``None``."""
    if not isinstance(value, str) or len(value) > max_chars:
        return None
    if value:
        try:
            validator(value)
        except ValidationError:
            return None
    return value


def _check_campus(check: _Checker, entry: object, path: Path) -> CampusSpec | None:
    if not isinstance(entry, dict):
        check.error(path, "Each campus is a [[campuses]] table.")
        return None
    check.unknown_keys(entry, path, _CAMPUS_KEYS)
    slug = entry.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        check.error(
            (*path, "slug"),
            "slug is required: lower-case letters, digits and hyphens, at most 40.",
        )
        slug = ""
    name = check.text(entry, path, "name", max_chars=120, required=True)
    colour = entry.get("colour", "#1f5f8b")
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        check.error((*path, "colour"), f"A colour is #rrggbb, not {colour!r}.")
        colour = ""
    timezone = entry.get("timezone")
    if not isinstance(timezone, str) or timezone not in _timezones():
        check.error(
            (*path, "timezone"),
            f"{timezone!r} is not a known time zone (such as America/New_York).",
        )
        timezone = ""
    website = _checked(
        entry.get("website", ""), URLValidator(schemes=["http", "https"]), max_chars=_URL_CHARS
    )
    if website is None:
        check.error((*path, "website"), "website is an http or https address (or left out).")
    hours = _check_hours(check, entry.get("hours", {}), (*path, "hours"))
    return CampusSpec(slug, name, colour, timezone, website or "", hours)


def _check_librarian(
    check: _Checker, entry: object, path: Path, campuses: set[str]
) -> LibrarianSpec | None:
    if not isinstance(entry, dict):
        check.error(path, "Each librarian is a [[librarians]] table.")
        return None
    check.unknown_keys(entry, path, _LIBRARIAN_KEYS)
    username = entry.get("username")
    if not isinstance(username, str) or not username or len(username) > _USERNAME_CHARS:
        check.error((*path, "username"), "username is required, at most 150 characters.")
        username = ""
    elif not _USERNAME.match(username):
        check.error(
            (*path, "username"), f"{username!r}: a username is letters, digits and @.+-_ only."
        )
    display_name = check.text(entry, path, "display_name", max_chars=80, required=True)
    email = _checked(entry.get("email", ""), validate_email, max_chars=_EMAIL_CHARS)
    if email is None:
        check.error((*path, "email"), f"{entry.get('email')!r} is not an email address.")
    campus = entry.get("campus")
    if not isinstance(campus, str) or campus not in campuses:
        check.error(
            (*path, "campus"),
            f"campus {campus!r} is neither in this file nor on the desk.",
        )
        campus = ""
    role = entry.get("role", Role.LIBRARIAN.value)
    if role not in Role.values:
        check.error((*path, "role"), f"role is one of {', '.join(Role.values)}, not {role!r}.")
        role = Role.LIBRARIAN.value
    active = entry.get("active", True)
    if not isinstance(active, bool):
        check.error((*path, "active"), "active is true or false.")
        active = True
    return LibrarianSpec(username, display_name, email or "", campus, str(role), active)


def _duplicates(check: _Checker, values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value and value in seen:
            check.error((section, index, key), f"{key} {value!r} appears twice.")
        seen.add(value)


def read_desk(text: str) -> Desk:
    """The desk that ``text`` describes, checked whole; raises ``DeskFileError`` with every
    mistake. Campuses named by librarians may be in the file or on the desk already."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise DeskFileError([(int(match.group(1)) if match else 1, f"Not TOML: {exc}")]) from exc
    check = _Checker(text)
    for key in data:
        if key not in ("campuses", "librarians"):
            check.error((key,), f"Unknown section {key!r}; expected campuses and librarians.")
    raw_campuses = data.get("campuses", [])
    raw_librarians = data.get("librarians", [])
    if not isinstance(raw_campuses, list):
        check.error(("campuses",), "campuses are [[campuses]] tables.")
        raw_campuses = []
    if not isinstance(raw_librarians, list):
        check.error(("librarians",), "librarians are [[librarians]] tables.")
        raw_librarians = []
    campuses = [
        spec
        for index, entry in enumerate(raw_campuses)
        if (spec := _check_campus(check, entry, ("campuses", index))) is not None
    ]
    _duplicates(check, [c.slug for c in campuses], "campuses", "slug")
    known = {c.slug for c in campuses} | set(Campus.objects.values_list("slug", flat=True))
    librarians = [
        person
        for index, entry in enumerate(raw_librarians)
        if (person := _check_librarian(check, entry, ("librarians", index), known)) is not None
    ]
    _duplicates(check, [lib.username for lib in librarians], "librarians", "username")
    if check.errors:
        raise DeskFileError(check.errors)
    return Desk(campuses, librarians)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def export_desk() -> str:
    """The desk as it is, as a desk file: campuses in their order, librarians by username."""
    hours: dict[int, dict[str, list[str]]] = {}
    for row in OpeningHours.objects.order_by("campus", "weekday", "opens"):
        hours.setdefault(row.campus_id, {}).setdefault(WEEKDAYS[row.weekday], []).append(
            f"{row.opens:%H:%M}-{row.closes:%H:%M}"
        )
    campuses = [
        {
            "slug": campus.slug,
            "name": campus.name,
            "colour": campus.colour,
            "timezone": campus.timezone,
            "website": campus.website,
            "hours": hours.get(campus.pk, {}),
        }
        for campus in Campus.objects.order_by("position", "name", "pk")
    ]
    librarians = [
        {
            "username": lib.user.username,
            "display_name": lib.display_name,
            "email": lib.user.email,
            "campus": lib.home_campus.slug,
            "role": lib.role,
            "active": lib.user.is_active,
        }
        for lib in Librarian.objects.select_related("user", "home_campus").order_by(
            "user__username"
        )
    ]
    return HEADER + tomli_w.dumps({"campuses": campuses, "librarians": librarians})
