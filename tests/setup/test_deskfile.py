"""The desk as a file: export, a checked import that is all or nothing, and round trips."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus, CampusLink, Closure, OpeningHours, SpecialHours
from refdesk.core.models import AuditEntry
from refdesk.setup.actions import do_import_desk
from refdesk.setup.deskfile import DeskFileError, export_desk, read_desk
from refdesk.snippets.actions import check_snippet_text, do_add_snippet
from refdesk.snippets.models import Snippet

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "examples" / "consortium.toml"

Snapshot = tuple[list[tuple[object, ...]], ...]


def _snapshot() -> Snapshot:
    """Every row the import may write, with primary keys and password hashes."""
    return (
        list(Campus.objects.order_by("pk").values_list()),
        list(OpeningHours.objects.order_by("pk").values_list()),
        list(Closure.objects.order_by("pk").values_list()),
        list(SpecialHours.objects.order_by("pk").values_list()),
        list(CampusLink.objects.order_by("pk").values_list()),
        list(Snippet.objects.order_by("pk").values_list()),
        list(AuditEntry.objects.order_by("pk").values_list()),
        list(Librarian.objects.order_by("pk").values_list()),
        list(get_user_model().objects.order_by("pk").values_list()),
    )


def _desk() -> set[tuple[object, ...]]:
    """The desk without primary keys: what a second instance must have the same."""
    campuses = set(
        Campus.objects.values_list("slug", "name", "colour", "timezone", "website", "position")
    )
    hours = set(OpeningHours.objects.values_list("campus__slug", "weekday", "opens", "closes"))
    closures = set(Closure.objects.values_list("campus__slug", "starts", "ends", "reason"))
    special = set(
        SpecialHours.objects.values_list("campus__slug", "date", "opens", "closes", "note")
    )
    links = set(CampusLink.objects.values_list("campus__slug", "position", "kind", "title", "url"))
    librarians = set(
        Librarian.objects.values_list(
            "user__username",
            "display_name",
            "user__email",
            "home_campus__slug",
            "role",
            "user__is_active",
            "user__is_staff",
            "user__is_superuser",
        )
    )
    snippets = set(
        Snippet.objects.values_list(
            "scope", "campus__slug", "owner", "title", "body", "shortcut", "purpose", "position"
        )
    )
    return (
        {("campus", *row) for row in campuses}
        | {("snippet", *row) for row in snippets}
        | {("hours", *row) for row in hours}
        | {("closure", *row) for row in closures}
        | {("special", *row) for row in special}
        | {("link", *row) for row in links}
        | {("librarian", *row) for row in librarians}
    )


def _wipe() -> None:
    Snippet.objects.all().delete()
    Librarian.objects.all().delete()
    get_user_model().objects.all().delete()
    Campus.objects.all().delete()


def _import(text: str) -> None:
    do_import_desk(read_desk(text))


def _errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(DeskFileError) as caught:
        read_desk(text)
    return caught.value.errors


def _line(text: str, fragment: str) -> int:
    """The number of the one line of ``text`` that holds ``fragment``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


GOOD = """\
[[campuses]]
slug = "north"
name = "North Campus Library"
colour = "#1f4e79"
timezone = "America/New_York"
website = "https://library.example.edu/north"

[campuses.hours]
mon = ["08:00-12:00", "13:00-22:00"]
sat = ["10:00-16:00"]

[[campuses]]
slug = "harbor"
name = "Harbor Library"
colour = "#134a7c"
timezone = "America/Chicago"

[[librarians]]
username = "ana"
display_name = "Ana Álvarez"
email = "ana@library.example.edu"
campus = "north"
role = "supervisor"

[[librarians]]
username = "ben"
display_name = "Ben"
campus = "harbor"
role = "librarian"
active = false
"""


def test_import_builds_the_desk_the_file_describes() -> None:
    _import(GOOD)

    assert _desk() == {
        (
            "campus",
            "north",
            "North Campus Library",
            "#1f4e79",
            "America/New_York",
            "https://library.example.edu/north",
            0,
        ),
        ("campus", "harbor", "Harbor Library", "#134a7c", "America/Chicago", "", 1),
        ("hours", "north", 0, dt.time(8), dt.time(12)),
        ("hours", "north", 0, dt.time(13), dt.time(22)),
        ("hours", "north", 5, dt.time(10), dt.time(16)),
        (
            "librarian",
            "ana",
            "Ana Álvarez",
            "ana@library.example.edu",
            "north",
            "supervisor",
            True,
            True,  # a supervisor reaches the admin, to read chats and tickets
            False,
        ),
        ("librarian", "ben", "Ben", "", "harbor", "librarian", False, False, False),
    }
    # Passwords are never in the file: a new librarian cannot log in until one is set.
    ana = get_user_model().objects.get(username="ana")
    assert not ana.has_usable_password()


def test_importing_the_same_file_twice_changes_nothing() -> None:
    _import(GOOD)
    before = _snapshot()

    report = do_import_desk(read_desk(GOOD))

    assert _snapshot() == before
    assert (report.added, report.changed, report.unchanged) == ([], [], ["ana", "ben"])


def test_import_updates_what_changed_and_keeps_passwords_and_what_the_file_leaves_out(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana", campus="harbor", display_name="Ana")
    make_librarian("zoe", campus="west", display_name="Zoe")

    report = do_import_desk(read_desk(GOOD))

    assert (report.added, report.changed, report.unchanged) == (["ben"], ["ana"], [])
    ana = Librarian.objects.select_related("home_campus").get(user__username="ana")
    assert (ana.display_name, ana.home_campus.slug, ana.role) == (
        "Ana Álvarez",
        "north",
        "supervisor",
    )
    assert authenticate(username="ana", password="refdesk-demo") is not None
    assert Librarian.objects.filter(user__username="zoe").exists()
    assert Campus.objects.filter(slug="west").exists()


def test_round_trip_export_then_import_into_an_empty_desk_gives_the_same_desk() -> None:
    _import(SAMPLE.read_text(encoding="utf-8"))
    # An inactive librarian, and a campus with no hours at all.
    get_user_model().objects.filter(username="lchen").update(is_active=False)
    OpeningHours.objects.filter(campus__slug="archives").delete()
    desk, exported = _desk(), export_desk()

    _wipe()
    assert _desk() == set()
    _import(exported)

    assert _desk() == desk
    assert export_desk() == exported


def test_the_sample_consortium_imports_with_thirteen_campuses() -> None:
    _import(SAMPLE.read_text(encoding="utf-8"))
    audited = AuditEntry.objects.count()

    assert set(
        Closure.objects.filter(campus__slug="central").values_list("starts", "ends", "reason")
    ) == {
        (dt.date(2026, 11, 26), dt.date(2026, 11, 27), "Thanksgiving"),
        (dt.date(2026, 12, 24), dt.date(2027, 1, 1), "Winter break"),
        (dt.date(2027, 1, 18), dt.date(2027, 1, 18), "Martin Luther King Jr. Day"),
    }
    assert list(
        SpecialHours.objects.filter(campus__slug="central", date=dt.date(2026, 12, 7)).values_list(
            "opens", "closes", "note"
        )
    ) == [(dt.time(7, 30), dt.time(2), "Exam week")]
    assert list(CampusLink.objects.filter(campus__slug="law").values_list("kind", flat=True)) == [
        "home",
        "catalogue",
        "databases",
        "hours",
        "proxy",
    ]
    # A second import of the same file writes nothing, not even an audit entry.
    before = _snapshot()
    _import(SAMPLE.read_text(encoding="utf-8"))
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audited

    assert Campus.objects.count() == 13
    assert Librarian.objects.count() == 15
    music = Campus.objects.get(slug="music")
    assert list(music.hours.filter(weekday=0).values_list("opens", "closes")) == [
        (dt.time(9), dt.time(12)),
        (dt.time(13), dt.time(17)),
    ]


TEN_MISTAKES = """\
colours = "all of them"

[[campuses]]
slug = "North Campus"
name = "North"
colour = "#1f4e79"
timezone = "America/New_York"

[[campuses]]
slug = "south"
name = "<b>South</b>"
colour = "navy"
timezone = "Mars/Olympus_Mons"
website = "javascript:alert(1)"
closures = [
  { from = 2025-12-24, to = 2025-12-26, reason = "Holidays" },
  { from = 2026-01-02, to = 2025-12-31 },
]

[campuses.hours]
mon = ["09:00-13:00", "12:00-17:00"]
tue = ["22:00-09:30"]
wed = ["09:00-17:00"]
someday = ["09:00-17:00"]

[[librarians]]
username = "ana"
display_name = "Ana"
password = "hunter2"
campus = "west"
role = "boss"
email = "not an address"
"""


def test_ten_kinds_of_mistakes_are_all_reported_with_their_lines_and_nothing_changes(
    tmp_path: Path,
) -> None:
    call_command("demo", "--no-tickets")
    before = _snapshot()
    text = TEN_MISTAKES

    errors = _errors(text)

    assert errors == [
        (
            1,
            "Unknown section 'colours'; expected campuses, librarians, snippets, contacts and "
            "courses.",
        ),
        (
            _line(text, 'slug = "North Campus"'),
            "slug is required: lower-case letters, digits and hyphens, at most 40.",
        ),
        (_line(text, "<b>South</b>"), "name is plain text: it may not have < or >."),
        (_line(text, '"navy"'), "A colour is #rrggbb, not 'navy'."),
        (
            _line(text, "Mars/"),
            "'Mars/Olympus_Mons' is not a known time zone (such as America/New_York).",
        ),
        (_line(text, "javascript:"), "website is an http or https address (or left out)."),
        (
            _line(text, "{ from = 2026-01-02"),
            "The closure from 2026-01-02 ends before it starts (2025-12-31).",
        ),
        (
            _line(text, "[campuses.hours]"),
            "The late period of Tuesday runs into the next day's hours.",
        ),
        (_line(text, "mon = "), "mon: opening periods overlap."),
        (
            _line(text, "someday"),
            "Unknown day 'someday'; days are mon, tue, wed, thu, fri, sat, sun.",
        ),
        (_line(text, "hunter2"), "Passwords are never kept in the desk file."),
        (_line(text, '"west"'), "campus 'west' is neither in this file nor on the desk."),
        (_line(text, '"boss"'), "role is one of librarian, supervisor, admin, not 'boss'."),
        (_line(text, "not an address"), "'not an address' is not an email address."),
    ]
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="14 mistakes in the desk file; nothing was changed"):
        call_command("setup", "import", str(path), stderr=stderr)
    assert stderr.getvalue().splitlines() == [
        f"{path}:{line}: {message}" for line, message in errors
    ]
    assert _snapshot() == before


CAMPUS = """\
[[campuses]]
slug = "north"
name = "North"
colour = "#1f4e79"
timezone = "America/New_York"
"""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('name = "<script>alert(1)</script>"', "name is plain text: it may not have < or >."),
        ('name = "North\u202eyrarbiL"', "name has control or invisible characters."),
        ('name = "\u200b\u200b"', "name has control or invisible characters."),
        ('name = "   "', "name is required."),
        ('name = "' + "N" * 121 + '"', "Name is 121 characters; the limit is 120."),
        ("name = 12", "name must be text in quotes."),
        ('colour = "#12345"', "A colour is #rrggbb, not '#12345'."),
        (
            'colour = "red; background: url(x)"',
            "A colour is #rrggbb, not 'red; background: url(x)'.",
        ),
        (
            'timezone = "../../etc/passwd"',
            "'../../etc/passwd' is not a known time zone (such as America/New_York).",
        ),
        ('timezone = ""', "'' is not a known time zone (such as America/New_York)."),
        ('website = "ftp://example.edu/"', "website is an http or https address (or left out)."),
        ('hours = { mon = ["9am-5pm"] }', "mon: '9am-5pm' is not a period such as 09:00-17:00."),
        (
            'hours = { mon = ["24:00-25:00"] }',
            "mon: '24:00-25:00' is not a period such as 09:00-17:00.",
        ),
        ('hours = { mon = ["09:00-17:00", "16:59-18:00"] }', "mon: opening periods overlap."),
        (
            'hours = { mon = ["09:00-09:00", "10:00-11:00"] }',
            "mon: opening periods overlap.",
        ),
        (
            'hours = { mon = ["20:00-09:00"], tue = ["08:00-17:00"] }',
            "The late period of Monday runs into the next day's hours.",
        ),
        (
            'colour = "#fff7c2"',
            "#fff7c2 is too light to see on the white page (1.1:1; a campus "
            "colour needs 3:1). Choose a darker shade.",
        ),
        (
            "closures = [{ from = 2026-01-02, to = 2025-12-31 }]",
            "The closure from 2026-01-02 ends before it starts (2025-12-31).",
        ),
        (
            'closures = [{ from = "soon" }]',
            "A closure has from (and to, when longer than a day) as dates.",
        ),
        (
            'closures = "all of December"',
            "closures is a list of tables such as "
            '{ from = 2025-12-24, to = 2026-01-02, reason = "Winter break" }.',
        ),
        (
            "special_hours = [{ date = 2025-12-08, hours = [] }]",
            '2025-12-08: hours is a list of periods such as ["10:00-14:00"]; '
            "a closed day is a closure.",
        ),
        (
            'special_hours = [{ date = 2025-12-08, hours = ["10-14"] }]',
            "2025-12-08: a period is written such as 09:00-17:00.",
        ),
        (
            'special_hours = [{ date = 2025-12-08, hours = ["10:00-14:00"] }, '
            '{ date = 2025-12-08, hours = ["15:00-16:00"] }]',
            "Special hours for 2025-12-08 are given twice.",
        ),
        (
            'links = [{ kind = "catalogue", title = "Catalogue", url = "javascript:alert(1)" }]',
            "A link's url is an http or https address.",
        ),
        (
            'links = [{ kind = "ads", title = "Buy", url = "https://example.com/" }]',
            "A link's kind is one of home, catalogue, databases, hours, proxy, other.",
        ),
        (
            'links = [{ title = "<img src=x onerror=alert(1)>", url = "https://example.com/" }]',
            "title is plain text: it may not have < or >.",
        ),
        ("hours = { mon = [2026-02-02] }", 'mon is a list of periods such as ["09:00-17:00"].'),
        ("hours = 9", 'hours is a table of days: mon = ["09:00-17:00"].'),
        (
            'floor = "2"',
            "Unknown key 'floor'; expected slug, name, colour, timezone, website, hours, "
            "closures, special_hours, links.",
        ),
    ],
)
def test_hostile_and_malformed_campus_values_are_refused_with_their_line(
    line: str, message: str
) -> None:
    key = line.split(" =", 1)[0]
    kept = [row for row in CAMPUS.splitlines() if not row.startswith(f"{key} =")]
    text = "\n".join([*kept, line, ""])

    assert _errors(text) == [(len(kept) + 1, message)]
    assert not Campus.objects.exists()


@pytest.mark.parametrize(
    ("text", "line", "start"),
    [
        ('[[campuses]]\nslug = "x"\nslug = "y"\n', 3, "Not TOML: Cannot overwrite a value"),
        ("[[campuses]]\nopened = 2026-02-30\n", 2, "Not TOML: Invalid date"),
        ('[[campuses]]\nname = "\\ud800"\n', 2, "Not TOML: "),
        ('[[campuses]]\nname = "open\n', 2, "Not TOML: "),
    ],
)
def test_a_file_that_is_not_toml_is_one_error_with_its_line(
    text: str, line: int, start: str
) -> None:
    [(found, message)] = _errors(text)

    assert found == line
    assert message.startswith(start)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('username = "ana smith"', "'ana smith': a username is letters, digits and @.+-_ only."),
        (
            'username = "<img src=x>"',
            "'<img src=x>': a username is letters, digits and @.+-_ only.",
        ),
        ('username = "' + "a" * 151 + '"', "username is required, at most 150 characters."),
        ('display_name = "<i>Ana</i>"', "display_name is plain text: it may not have < or >."),
        ('display_name = "Ana\\u0007"', "display_name has control or invisible characters."),
        ('email = "ana@"', "'ana@' is not an email address."),
        ('role = "root"', "role is one of librarian, supervisor, admin, not 'root'."),
        ('active = "yes"', "active is true or false."),
        ('campus = "nowhere"', "campus 'nowhere' is neither in this file nor on the desk."),
    ],
)
def test_hostile_and_malformed_librarian_values_are_refused_with_their_line(
    line: str, message: str
) -> None:
    key = line.split(" =", 1)[0]
    person = [
        "[[librarians]]",
        'username = "ana"',
        'display_name = "Ana"',
        'campus = "north"',
    ]
    kept = [row for row in person if not row.startswith(f"{key} =")]
    text = CAMPUS + "\n".join([*kept, line, ""])

    assert _errors(text) == [(len(CAMPUS.splitlines()) + len(kept) + 1, message)]


def test_twice_the_same_slug_or_username_is_refused_where_it_comes_again() -> None:
    text = (
        CAMPUS
        + CAMPUS
        + '[[librarians]]\nusername = "ana"\ndisplay_name = "A"\ncampus = "north"\n' * 2
    )

    assert _errors(text) == [
        (7, "slug 'north' appears twice."),
        (16, "username 'ana' appears twice."),
    ]


def test_a_flood_of_mistakes_is_reported_whole() -> None:
    text = "".join(
        f'[[campuses]]\nslug = "c{n}"\nname = "C"\ncolour = "bad"\ntimezone = "UTC"\n'
        for n in range(2000)
    )

    errors = _errors(text)

    assert errors == [(4 + 5 * n, "A colour is #rrggbb, not 'bad'.") for n in range(2000)]


def test_a_username_taken_by_an_account_without_a_profile_stops_the_whole_import(
    tmp_path: Path,
) -> None:
    get_user_model().objects.create_superuser("ben", password="own-password")
    before = _snapshot()
    path = tmp_path / "desk.toml"
    path.write_text(GOOD, encoding="utf-8")

    with pytest.raises(CommandError, match=r"The username .ben. is taken\. Nothing was changed\."):
        call_command("setup", "import", str(path))

    assert _snapshot() == before
    assert not Campus.objects.exists()


def test_check_only_reads_the_file_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(GOOD, encoding="utf-8")
    stdout = io.StringIO()

    call_command("setup", "import", str(path), "--check", stdout=stdout)

    assert stdout.getvalue() == f"{path} is a valid desk file; nothing was changed.\n"
    assert _snapshot() == ([], [], [], [], [], [], [], [], [])


# ---------------------------------------------------------------------------
# Snippets
# ---------------------------------------------------------------------------

SNIPPETS = """
[[snippets]]
title = "Greeting by name"
shortcut = "/Greet"
purpose = "greeting"
body = "Hi {patron_name}, I'm {librarian_name}."

[[snippets]]
title = "Harbor hours"
campus = "harbor"
body = \"\"\"
We are open {hours_today} today.
Anything else?\"\"\"

[[snippets]]
title = "Closing line"
purpose = "closing"
body = "Have a great day!"
"""


def test_snippets_are_imported_global_or_for_a_campus_in_the_file_s_order() -> None:
    report = do_import_desk(read_desk(GOOD + SNIPPETS))

    assert report.snippets_added == ["Greeting by name", "Harbor hours", "Closing line"]
    assert list(
        Snippet.objects.order_by("position").values_list(
            "scope", "campus__slug", "owner", "title", "body", "shortcut", "purpose", "position"
        )
    ) == [
        (
            "global",
            None,
            None,
            "Greeting by name",
            "Hi {patron_name}, I'm {librarian_name}.",
            "greet",
            "greeting",
            0,
        ),
        (
            "campus",
            "harbor",
            None,
            "Harbor hours",
            "We are open {hours_today} today.\nAnything else?",
            "",
            "",
            1,
        ),
        ("global", None, None, "Closing line", "Have a great day!", "", "closing", 2),
    ]
    assert list(
        AuditEntry.objects.filter(target_type="snippet")
        .order_by("pk")
        .values_list("action", "target_repr")
    ) == [
        ("snippet.add", "Greeting by name (Global)"),
        ("snippet.add", "Harbor hours (Harbor Library)"),
        ("snippet.add", "Closing line (Global)"),
    ]


def test_importing_snippets_again_changes_nothing_and_a_changed_line_is_updated_in_place() -> None:
    _import(GOOD + SNIPPETS)
    before = _snapshot()
    ids = dict(Snippet.objects.values_list("title", "pk"))

    report = do_import_desk(read_desk(GOOD + SNIPPETS))
    assert _snapshot() == before
    assert report.snippets_added == []

    _import(GOOD + SNIPPETS.replace("Have a great day!", "Goodbye!"))
    closing = Snippet.objects.get(title="Closing line")
    assert (closing.pk, closing.body) == (ids["Closing line"], "Goodbye!")
    assert Snippet.objects.count() == 3
    assert list(
        AuditEntry.objects.filter(target_type="snippet", action="snippet.change").values_list(
            "target_repr", "changes"
        )
    ) == [("Closing line (Global)", {"body": ["Have a great day!", "Goodbye!"]})]


def test_round_trip_keeps_the_shared_snippets_and_leaves_personal_ones_out(
    make_librarian: Callable[..., Librarian],
) -> None:
    _import(GOOD + SNIPPETS)
    ana = Librarian.objects.get(user__username="ana")
    do_add_snippet(
        check_snippet_text(title="Mine", body="Ana's own line."), scope="personal", owner=ana
    )
    exported = export_desk()
    assert "Ana's own line." not in exported
    assert (
        '[[snippets]]\ntitle = "Harbor hours"\ncampus = "harbor"\n'
        'body = "We are open {hours_today} today.\\nAnything else?"\n'
    ) in exported
    Snippet.objects.filter(scope="personal").delete()
    desk = _desk()

    _wipe()
    _import(exported)

    assert _desk() == desk
    assert export_desk() == exported


SNIPPET_MISTAKES = """
[[snippets]]
title = "No body"

[[snippets]]
title = "Bad shortcut"
body = "Hello."
shortcut = "two words"

[[snippets]]
title = "Odd purpose"
body = "Hello."
purpose = "welcome"

[[snippets]]
title = "Unknown campus"
body = "Hello."
campus = "west"

[[snippets]]
title = "Extra key"
body = "Hello."
scope = "personal"

[[snippets]]
title = "Greeting"
body = 42

[[snippets]]
title = "Greeting"
body = "Again."
"""


def test_snippet_mistakes_are_all_reported_with_their_lines_and_nothing_changes() -> None:
    text = GOOD + SNIPPET_MISTAKES + f'\n[[snippets]]\ntitle = "{"x" * 81}"\nbody = "Hi."\n'
    before = _snapshot()

    assert _errors(text) == [
        (_line(text, 'title = "No body"') - 1, "Body is required."),
        (
            _line(text, 'shortcut = "two words"'),
            "A shortcut is 1 to 30 lower-case letters, digits and hyphens, not 'two words'.",
        ),
        (
            _line(text, 'purpose = "welcome"'),
            "purpose is one of greeting, ask_name, ask_email, identify, still_looking, "
            "be_right_back, still_there, closing, warning, compassion, not 'welcome'.",
        ),
        (
            _line(text, 'campus = "west"'),
            "campus 'west' is neither in this file nor on the desk "
            "(leave it out for a global snippet).",
        ),
        (
            _line(text, 'scope = "personal"'),
            "Unknown key 'scope'; expected title, body, shortcut, purpose, campus.",
        ),
        (_line(text, "body = 42"), "body must be text in quotes."),
        (
            _line(text, 'body = "Again."') - 1,
            "title 'Greeting' appears twice in the global snippets.",
        ),
        (_line(text, 'title = "xxx'), "Title is 81 characters; the limit is 80."),
    ]
    assert _snapshot() == before
