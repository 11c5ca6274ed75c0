"""The desk as a file: campuses with their weekly hours, closures, special hours and links,
librarians, the shared (global and campus) snippets, and the directory's contacts and
courses, in TOML.

``read_desk`` checks a whole file and returns what it describes, or raises ``DeskFileError``
with every mistake and its line; ``export_desk`` writes the desk as it is. Passwords are
never in the file, nor are personal snippets. ``refdesk.setup.actions.do_import_desk``
applies a checked file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tomli_w
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from refdesk.accounts.models import Librarian, Role
from refdesk.campuses.actions import (
    ClosureSpec,
    LinkSpec,
    SpecialDaySpec,
    check_periods,
    check_special_hours,
    check_weekly_hours,
)
from refdesk.campuses.models import (
    Campus,
    CampusLink,
    Closure,
    LinkKind,
    OpeningHours,
    SpecialHours,
)
from refdesk.campuses.selectors import colour_problem
from refdesk.core.errors import ActionError
from refdesk.core.text import clean_text
from refdesk.directory.actions import check_contact_fields, check_course_fields
from refdesk.directory.models import Category, Contact, Course
from refdesk.snippets.actions import check_snippet_text
from refdesk.snippets.models import Purpose, Scope, Snippet

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[int, list[tuple[dt.time, dt.time]]]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PERIOD = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
_USERNAME = re.compile(UnicodeUsernameValidator.regex)
_USERNAME_CHARS = 150
_URL_CHARS = 200
_EMAIL_CHARS = 254
_CAMPUS_KEYS = (
    "slug",
    "name",
    "colour",
    "timezone",
    "website",
    "hours",
    "closures",
    "special_hours",
    "links",
)
_CLOSURE_KEYS = ("from", "to", "reason")
_SPECIAL_KEYS = ("date", "hours", "note")
_LINK_KEYS = ("kind", "title", "url")
_LIBRARIAN_KEYS = ("username", "display_name", "email", "campus", "role", "active")
_SNIPPET_KEYS = ("title", "body", "shortcut", "purpose", "campus")
_CONTACT_KEYS = (
    "name",
    "role",
    "campus",
    "category",
    "phone",
    "email",
    "link",
    "available",
    "note",
    "active",
)
_COURSE_KEYS = ("title", "provider", "link", "cost", "length", "why", "active")
_SECTIONS = ("campuses", "librarians", "snippets", "contacts", "courses")

HEADER = """\
# The desk as a file: campuses with their weekly hours, closures, special hours and
# links, librarians (never passwords), the snippets everyone shares (global, or one
# campus's; personal snippets are not in the file), and the directory's contacts
# (a campus's, or consortium-wide without one) and courses.
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
    closures: tuple[ClosureSpec, ...] = ()
    special_hours: tuple[SpecialDaySpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()


@dataclass(frozen=True)
class LibrarianSpec:
    username: str
    display_name: str
    email: str
    campus: str
    role: str
    active: bool


@dataclass(frozen=True)
class SnippetSpec:
    title: str
    body: str
    shortcut: str
    purpose: str
    # The campus's slug for a campus snippet; "" for a global one.
    campus: str


@dataclass(frozen=True)
class ContactSpec:
    name: str
    role: str
    # The campus's slug; "" for a consortium-wide contact.
    campus: str
    category: str
    phone: str
    email: str
    link: str
    available: str
    note: str
    active: bool


@dataclass(frozen=True)
class CourseSpec:
    title: str
    provider: str
    link: str
    cost: str
    length: str
    why: str
    active: bool


@dataclass(frozen=True)
class Desk:
    campuses: list[CampusSpec]
    librarians: list[LibrarianSpec]
    snippets: list[SnippetSpec] = field(default_factory=list)
    contacts: list[ContactSpec] = field(default_factory=list)
    courses: list[CourseSpec] = field(default_factory=list)


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
    """The line of each table and key of the file, by path: ``("campuses", 2, "name")``;
    the elements of an array, one per line (``closures = [`` then ``{ from = ... }``) or
    as ``[[campuses.closures]]`` tables, by their index: ``("campuses", 2, "closures", 0)``.

    tomllib gives values but not their lines; a scan of the lines for headers and keys is
    enough for the file's shapes (and the nearest known line stands in for the rest).
    """
    lines: dict[Path, int] = {}
    counts: dict[Path, int] = {}
    current: dict[str, Path] = {}  # the latest element of each array, by its dotted name
    table: Path = ()
    open_array: Path | None = None
    elements = 0

    def resolve(parts: tuple[str, ...]) -> Path:
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in current:
                return (*current[prefix], *parts[cut:])
        return parts

    for number, line in enumerate(text.splitlines(), start=1):
        if open_array is not None:
            stripped = line.strip()
            if stripped.startswith("]"):
                open_array = None
            elif stripped.startswith(("{", '"', "'")):
                lines.setdefault((*open_array, elements), number)
                elements += 1
            continue
        if match := _ARRAY_HEADER.match(line):
            parts = _key_parts(match.group(1))
            base = resolve(parts)
            counts[base] = counts.get(base, 0) + 1
            table = (*base, counts[base] - 1)
            current[".".join(parts)] = table
        elif match := _TABLE_HEADER.match(line):
            table = resolve(_key_parts(match.group(1)))
        elif match := _KEY.match(line):
            path = (*table, *_key_parts(match.group(1)))
            lines.setdefault(path, number)
            rest = line[match.end() :].split("#", 1)[0].strip()
            if rest.startswith("[") and "]" not in rest:
                open_array, elements = path, 0
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
            else:
                parsed.append(period)
        try:
            parsed = check_periods(parsed, what=day)
        except ActionError:
            check.error(where, f"{day}: opening periods overlap.")
            continue
        if parsed:
            hours[WEEKDAYS.index(day)] = parsed
    try:
        check_weekly_hours(hours)
    except ActionError as exc:
        check.error(path, exc.message)
    return hours


def _date(value: object) -> dt.date | None:
    """A TOML date (2025-12-24) or the same in quotes."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _entries(check: _Checker, value: object, path: Path, example: str) -> list[dict[str, Any]]:
    """The tables of an array (``[]`` when left out); anything else is one error."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        check.error(path, f"{path[-1]} is a list of tables such as {example}.")
        return []
    return value


def _check_closures(check: _Checker, value: object, path: Path) -> tuple[ClosureSpec, ...]:
    closures: list[ClosureSpec] = []
    example = '{ from = 2025-12-24, to = 2026-01-02, reason = "Winter break" }'
    for index, entry in enumerate(_entries(check, value, path, example)):
        where = (*path, index)
        check.unknown_keys(entry, where, _CLOSURE_KEYS)
        starts = _date(entry.get("from"))
        ends = _date(entry.get("to", entry.get("from")))
        if starts is None or ends is None:
            check.error(where, "A closure has from (and to, when longer than a day) as dates.")
            continue
        if ends < starts:
            check.error(where, f"The closure from {starts} ends before it starts ({ends}).")
            continue
        reason = check.text(entry, where, "reason", max_chars=120, required=False)
        closures.append(ClosureSpec(starts, ends, reason))
    return tuple(closures)


def _check_special(check: _Checker, value: object, path: Path) -> tuple[SpecialDaySpec, ...]:
    days: list[SpecialDaySpec] = []
    seen: set[dt.date] = set()
    example = '{ date = 2025-12-08, hours = ["07:00-02:00"], note = "Exams" }'
    for index, entry in enumerate(_entries(check, value, path, example)):
        where = (*path, index)
        check.unknown_keys(entry, where, _SPECIAL_KEYS)
        day = _date(entry.get("date"))
        if day is None:
            check.error(where, "Special hours have a date such as 2025-12-08.")
            continue
        if day in seen:
            check.error(where, f"Special hours for {day} are given twice.")
            continue
        seen.add(day)
        texts = entry.get("hours")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            check.error(
                where,
                f'{day}: hours is a list of periods such as ["10:00-14:00"]; '
                "a closed day is a closure.",
            )
            continue
        periods = [_period(text) for text in texts]
        if any(period is None for period in periods):
            check.error(where, f"{day}: a period is written such as 09:00-17:00.")
            continue
        try:
            ordered = check_periods([p for p in periods if p is not None], what=str(day))
        except ActionError:
            check.error(where, f"{day}: opening periods overlap.")
            continue
        note = check.text(entry, where, "note", max_chars=120, required=False)
        days.append(SpecialDaySpec(day, tuple(ordered), note))
    try:
        check_special_hours(days)
    except ActionError as exc:
        check.error(path, exc.message)
    return tuple(days)


def _check_links(check: _Checker, value: object, path: Path) -> tuple[LinkSpec, ...]:
    links: list[LinkSpec] = []
    example = '{ kind = "catalogue", title = "Catalogue", url = "https://..." }'
    url_ok = URLValidator(schemes=["http", "https"])
    for index, entry in enumerate(_entries(check, value, path, example)):
        where = (*path, index)
        check.unknown_keys(entry, where, _LINK_KEYS)
        kind = entry.get("kind", LinkKind.OTHER.value)
        if kind not in LinkKind.values:
            check.error(where, f"A link's kind is one of {', '.join(LinkKind.values)}.")
            continue
        title = check.text(entry, where, "title", max_chars=120, required=True)
        url = _checked(entry.get("url"), url_ok, max_chars=500)
        if not url:
            check.error(where, "A link's url is an http or https address.")
            continue
        if title:
            links.append(LinkSpec(str(kind), title, url))
    return tuple(links)


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
    elif problem := colour_problem(colour):
        check.error((*path, "colour"), problem)
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
    closures = _check_closures(check, entry.get("closures", []), (*path, "closures"))
    special = _check_special(check, entry.get("special_hours", []), (*path, "special_hours"))
    links = _check_links(check, entry.get("links", []), (*path, "links"))
    return CampusSpec(slug, name, colour, timezone, website or "", hours, closures, special, links)


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


def _snippet_field(check: _Checker, entry: dict[str, Any], where: Path, key: str) -> str:
    """One of a snippet's words, checked as the console and the admin check them."""
    value = entry.get(key, "")
    if not isinstance(value, str):
        check.error(where, f"{key} must be text in quotes.")
        return ""
    others: dict[str, object] = {"title": "x", "body": "x", "shortcut": ""}
    try:
        checked = check_snippet_text(**{**others, key: value})
    except ActionError as exc:
        check.error(where, exc.message)
        return ""
    return str(getattr(checked, key))


def _check_snippet(
    check: _Checker, entry: object, path: Path, campuses: set[str]
) -> SnippetSpec | None:
    if not isinstance(entry, dict):
        check.error(path, "Each snippet is a [[snippets]] table.")
        return None
    check.unknown_keys(entry, path, _SNIPPET_KEYS)
    words = {
        key: _snippet_field(check, entry, (*path, key) if key in entry else path, key)
        for key in ("title", "body", "shortcut")
    }
    purpose = entry.get("purpose", "")
    if purpose not in Purpose.values:
        check.error(
            (*path, "purpose"),
            f"purpose is one of {', '.join(v for v in Purpose.values if v)}, not {purpose!r}.",
        )
        purpose = ""
    campus = entry.get("campus", "")
    if campus != "" and (not isinstance(campus, str) or campus not in campuses):
        check.error(
            (*path, "campus"),
            f"campus {campus!r} is neither in this file nor on the desk "
            "(leave it out for a global snippet).",
        )
        campus = ""
    return SnippetSpec(words["title"], words["body"], words["shortcut"], str(purpose), str(campus))


# What a refused field becomes while the rest of its entry is checked: a value every
# check accepts (the entry is not imported; the file has a mistake).
_STAND_INS: dict[str, object] = {
    "name": "x",
    "title": "x",
    "provider": "x",
    "phone": "000",
    "link": "https://example.org/",
}


def _directory_fields(
    check: _Checker,
    entry: dict[str, Any],
    path: Path,
    checker: Callable[..., Any],
    defaults: dict[str, object],
) -> Any:
    """The entry checked as the admin checks it, each refusal at its key's line; a refused
    field stands in for a good one, so that every other field is still checked."""
    values: dict[str, object] = {key: entry.get(key, default) for key, default in defaults.items()}
    reported: set[str] = set()
    while True:
        try:
            checked = checker(**values)
        except ActionError as exc:
            key = str(exc.extra.get("field", ""))
            if key in reported or key not in values:
                return None
            reported.add(key)
            check.error((*path, key) if key in entry else path, exc.message)
            values[key] = _STAND_INS.get(key, defaults[key])
            continue
        return None if reported else checked


def _check_contact(
    check: _Checker, entry: object, path: Path, campuses: set[str]
) -> ContactSpec | None:
    if not isinstance(entry, dict):
        check.error(path, "Each contact is a [[contacts]] table.")
        return None
    check.unknown_keys(entry, path, _CONTACT_KEYS)
    campus = entry.get("campus", "")
    if campus != "" and (not isinstance(campus, str) or campus not in campuses):
        check.error(
            (*path, "campus"),
            f"campus {campus!r} is neither in this file nor on the desk "
            "(leave it out for a consortium-wide contact).",
        )
        campus = ""
    # The category is checked first and alone: the other fields' checks need one.
    category = entry.get("category")
    if category not in Category.values:
        check.error(
            (*path, "category") if "category" in entry else path,
            f"category is one of {', '.join(Category.values)}, not {category!r}.",
        )
        category = Category.LIBRARY_STAFF.value
    defaults: dict[str, object] = dict.fromkeys(
        ("name", "role", "phone", "email", "link", "available", "note"), ""
    )
    checked = _directory_fields(
        check,
        {**entry, "category": category},
        path,
        check_contact_fields,
        {**defaults, "category": category, "active": True},
    )
    if checked is None:
        return None
    return ContactSpec(
        checked.name,
        checked.role,
        str(campus),
        checked.category,
        checked.phone,
        checked.email,
        checked.link,
        checked.available,
        checked.note,
        checked.active,
    )


def _check_course(check: _Checker, entry: object, path: Path) -> CourseSpec | None:
    if not isinstance(entry, dict):
        check.error(path, "Each course is a [[courses]] table.")
        return None
    check.unknown_keys(entry, path, _COURSE_KEYS)
    defaults: dict[str, object] = {
        **dict.fromkeys(("title", "provider", "link", "cost", "length", "why"), ""),
        "active": True,
    }
    checked = _directory_fields(check, entry, path, check_course_fields, defaults)
    if checked is None:
        return None
    return CourseSpec(
        checked.title,
        checked.provider,
        checked.link,
        checked.cost,
        checked.length,
        checked.why,
        checked.active,
    )


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
        if key not in _SECTIONS:
            check.error(
                (key,),
                f"Unknown section {key!r}; expected campuses, librarians, snippets, "
                "contacts and courses.",
            )
    raw_campuses = data.get("campuses", [])
    raw_librarians = data.get("librarians", [])
    raw_snippets = data.get("snippets", [])
    if not isinstance(raw_campuses, list):
        check.error(("campuses",), "campuses are [[campuses]] tables.")
        raw_campuses = []
    if not isinstance(raw_librarians, list):
        check.error(("librarians",), "librarians are [[librarians]] tables.")
        raw_librarians = []
    if not isinstance(raw_snippets, list):
        check.error(("snippets",), "snippets are [[snippets]] tables.")
        raw_snippets = []
    raw_contacts = data.get("contacts", [])
    raw_courses = data.get("courses", [])
    if not isinstance(raw_contacts, list):
        check.error(("contacts",), "contacts are [[contacts]] tables.")
        raw_contacts = []
    if not isinstance(raw_courses, list):
        check.error(("courses",), "courses are [[courses]] tables.")
        raw_courses = []
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
    snippets = [
        snippet
        for index, entry in enumerate(raw_snippets)
        if (snippet := _check_snippet(check, entry, ("snippets", index), known)) is not None
    ]
    seen: set[tuple[str, str]] = set()
    for index, snippet in enumerate(snippets):
        place = (snippet.campus, snippet.title)
        if snippet.title and place in seen:
            where = f"campus {snippet.campus!r}" if snippet.campus else "the global snippets"
            check.error(
                ("snippets", index, "title"),
                f"title {snippet.title!r} appears twice in {where}.",
            )
        seen.add(place)
    contacts = [
        contact
        for index, entry in enumerate(raw_contacts)
        if (contact := _check_contact(check, entry, ("contacts", index), known)) is not None
    ]
    _duplicate_contacts(check, raw_contacts)
    courses = [
        course
        for index, entry in enumerate(raw_courses)
        if (course := _check_course(check, entry, ("courses", index))) is not None
    ]
    _duplicates(
        check,
        [" ".join(e.get("title", "").split()) if isinstance(e, dict) else "" for e in raw_courses],
        "courses",
        "title",
    )
    if check.errors:
        raise DeskFileError(check.errors)
    return Desk(campuses, librarians, snippets, contacts, courses)


def _duplicate_contacts(check: _Checker, raw: list[Any]) -> None:
    """A contact is known by its campus and name: the same pair twice is a mistake."""
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        place = (str(entry.get("campus", "")), " ".join(entry["name"].split()))
        if place in seen:
            where = f"campus {place[0]!r}" if place[0] else "the consortium-wide contacts"
            check.error(("contacts", index, "name"), f"name {place[1]!r} appears twice in {where}.")
        seen.add(place)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def export_desk() -> str:
    """The desk as it is, as a desk file: campuses in their order, librarians by username,
    then the global and campus snippets in their order (personal ones are left out)."""
    hours: dict[int, dict[str, list[str]]] = {}
    for row in OpeningHours.objects.order_by("campus", "weekday", "opens"):
        hours.setdefault(row.campus_id, {}).setdefault(WEEKDAYS[row.weekday], []).append(
            f"{row.opens:%H:%M}-{row.closes:%H:%M}"
        )
    closures: dict[int, list[dict[str, Any]]] = {}
    for closure in Closure.objects.order_by("campus", "starts", "ends"):
        item: dict[str, Any] = {"from": closure.starts, "to": closure.ends}
        if closure.reason:
            item["reason"] = closure.reason
        closures.setdefault(closure.campus_id, []).append(item)
    special: dict[int, dict[dt.date, dict[str, Any]]] = {}
    for extra in SpecialHours.objects.order_by("campus", "date", "opens"):
        day = special.setdefault(extra.campus_id, {}).setdefault(
            extra.date, {"date": extra.date, "hours": []}
        )
        day["hours"].append(f"{extra.opens:%H:%M}-{extra.closes:%H:%M}")
        if extra.note:
            day["note"] = extra.note
    links: dict[int, list[dict[str, str]]] = {}
    for link in CampusLink.objects.order_by("campus", "position", "pk"):
        links.setdefault(link.campus_id, []).append(
            {"kind": link.kind, "title": link.title, "url": link.url}
        )
    campuses = []
    for campus in Campus.objects.order_by("position", "name", "pk"):
        entry: dict[str, Any] = {
            "slug": campus.slug,
            "name": campus.name,
            "colour": campus.colour,
            "timezone": campus.timezone,
            "website": campus.website,
            "hours": hours.get(campus.pk, {}),
        }
        if campus.pk in closures:
            entry["closures"] = closures[campus.pk]
        if campus.pk in special:
            entry["special_hours"] = list(special[campus.pk].values())
        if campus.pk in links:
            entry["links"] = links[campus.pk]
        campuses.append(entry)
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
    snippets = []
    for snippet in (
        Snippet.objects.filter(scope__in=(Scope.GLOBAL, Scope.CAMPUS))
        .select_related("campus")
        .order_by("position", "pk")
    ):
        line: dict[str, Any] = {"title": snippet.title}
        if snippet.shortcut:
            line["shortcut"] = snippet.shortcut
        if snippet.purpose:
            line["purpose"] = snippet.purpose
        if snippet.campus is not None:
            line["campus"] = snippet.campus.slug
        line["body"] = snippet.body
        snippets.append(line)
    return HEADER + "\n".join(
        [
            *(_campus_text(entry) for entry in campuses),
            *(_table("librarians", p) for p in librarians),
            *(_table("snippets", item) for item in snippets),
            *(_table("contacts", item) for item in _export_contacts()),
            *(_table("courses", item) for item in _export_courses()),
        ]
    )


def _export_contacts() -> list[dict[str, Any]]:
    """Every contact, consortium-wide ones first, then by campus, position and name;
    empty fields left out, and ``active`` only when false."""
    rows = sorted(
        Contact.objects.select_related("campus"),
        key=lambda c: (
            c.campus is not None,
            (c.campus.position, c.campus.name) if c.campus is not None else (0, ""),
            c.position,
            c.name,
            c.pk,
        ),
    )
    entries = []
    for contact in rows:
        entry: dict[str, Any] = {"name": contact.name}
        if contact.campus is not None:
            entry["campus"] = contact.campus.slug
        entry["category"] = contact.category
        for key in ("role", "phone", "email", "link", "available", "note"):
            if value := getattr(contact, key):
                entry[key] = value
        if not contact.active:
            entry["active"] = False
        entries.append(entry)
    return entries


def _export_courses() -> list[dict[str, Any]]:
    """Every course by position and title; empty fields left out."""
    entries = []
    for course in Course.objects.order_by("position", "title", "pk"):
        entry: dict[str, Any] = {"title": course.title}
        for key in ("provider", "link", "cost", "length", "why"):
            if value := getattr(course, key):
                entry[key] = value
        if not course.active:
            entry["active"] = False
        entries.append(entry)
    return entries


def _value(value: Any) -> str:
    """One TOML value as tomli_w writes it; a list of scalars and a table stay on one line."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _table(name: str, entry: dict[str, Any]) -> str:
    return f"[[{name}]]\n" + "".join(f"{key} = {_value(value)}\n" for key, value in entry.items())


def _campus_text(entry: dict[str, Any]) -> str:
    """A campus as people write it: a key per line, a closure, a special day or a link per
    line, then its week as ``[campuses.hours]``, a day per line."""
    hours = entry.pop("hours")
    lines = [
        f"{key} = {_value(value)}" for key, value in entry.items() if not isinstance(value, list)
    ]
    for key, value in entry.items():
        if isinstance(value, list):
            lines += [f"{key} = [", *(f"  {_value(item)}," for item in value), "]"]
    text = "[[campuses]]\n" + "".join(f"{line}\n" for line in lines)
    if hours:
        text += "\n[campuses.hours]\n" + "".join(
            f"{day} = {_value(periods)}\n" for day, periods in hours.items()
        )
    return text
