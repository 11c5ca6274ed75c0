"""The directory in the desk file: contacts and courses imported, exported and imported
again unchanged, and every mistake reported with its line while nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from refdesk.core.models import AuditEntry
from refdesk.directory.models import Contact, Course
from refdesk.setup.actions import do_import_desk
from refdesk.setup.deskfile import DeskFileError, export_desk, read_desk

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "src" / "refdesk" / "setup" / "demo.toml"

DESK = """\
[[campuses]]
slug = "north"
name = "North Campus Library"
timezone = "America/New_York"

[[contacts]]
name = "988 Suicide & Crisis Lifeline"
category = "crisis_line"
phone = "988"
link = "https://988lifeline.org/"
available = "24/7"
note = "Call or text 988."

[[contacts]]
name = "North Counselling Centre"
campus = "north"
category = "counselling"
role = "Counsellor on call"
email = "counselling@example.edu"
active = false

[[courses]]
title = "Psychological First Aid Online"
provider = "NCTSN"
link = "https://learn.nctsn.org/"
cost = "Free"
why = \"\"\"Comfort.
Connect.\"\"\"
"""


def rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (
        list(
            Contact.objects.order_by("pk").values_list(
                "name",
                "campus__slug",
                "category",
                "phone",
                "email",
                "link",
                "available",
                "note",
                "role",
                "position",
                "active",
            )
        ),
        list(
            Course.objects.order_by("pk").values_list(
                "title", "provider", "link", "cost", "length", "why", "position", "active"
            )
        ),
    )


def test_contacts_and_courses_are_imported_exported_and_imported_again_unchanged() -> None:
    report = do_import_desk(read_desk(DESK))
    assert report.contacts_added == ["988 Suicide & Crisis Lifeline", "North Counselling Centre"]
    assert report.courses_added == ["Psychological First Aid Online"]
    imported = rows()
    assert imported == (
        [
            (
                "988 Suicide & Crisis Lifeline",
                None,
                "crisis_line",
                "988",
                "",
                "https://988lifeline.org/",
                "24/7",
                "Call or text 988.",
                "",
                0,
                True,
            ),
            (
                "North Counselling Centre",
                "north",
                "counselling",
                "",
                "counselling@example.edu",
                "",
                "",
                "",
                "Counsellor on call",
                1,
                False,
            ),
        ],
        [
            (
                "Psychological First Aid Online",
                "NCTSN",
                "https://learn.nctsn.org/",
                "Free",
                "",
                "Comfort.\nConnect.",
                0,
                True,
            ),
        ],
    )
    audits = AuditEntry.objects.count()
    exported = export_desk()
    assert '[[contacts]]\nname = "988 Suicide & Crisis Lifeline"\ncategory = "crisis_line"\n' in (
        exported
    )
    again = do_import_desk(read_desk(exported))
    assert (again.contacts_added, again.courses_added) == ([], [])
    assert rows() == imported
    assert AuditEntry.objects.count() == audits
    assert export_desk() == exported


def test_the_demo_desk_has_each_campus_s_helpers_and_the_national_lines() -> None:
    desk = read_desk(DEMO.read_text(encoding="utf-8"))
    wanted = {"counselling", "security", "it_help_desk", "disability_services", "writing_centre"}
    for campus in ("north", "south", "downtown"):
        assert {c.category for c in desk.contacts if c.campus == campus} == wanted
    national = {c.name: (c.category, c.phone) for c in desk.contacts if not c.campus}
    assert national == {
        "988 Suicide & Crisis Lifeline": ("crisis_line", "988"),
        "Crisis Text Line": ("crisis_line", "741741"),
        "Emergency services": ("emergency", "911"),
        "Virtual reference coordinator": ("library_staff", "+1 555-010-0100"),
    }
    assert len(desk.courses) == 5
    assert all(course.link.startswith("https://") for course in desk.courses)


MISTAKES = """\
[[contacts]]
name = "Security"
campus = "atlantis"
category = "security"
phone = "555-0100"

[[contacts]]
name = "Counselling"
category = "chaplaincy"
phone = "call us"
email = "nobody"

[[contacts]]
name = "Night line\u200b"
category = "crisis_line"
link = "javascript:alert(1)"
colour = "red"

[[contacts]]
name = "Security"
campus = "atlantis"
category = "security"
phone = "555-0101"

[[courses]]
title = "<b>Course</b>"
provider = "NCTSN"
link = "ftp://example.org/"

[[courses]]
provider = "Nobody"
link = "https://example.org/"
"""


def _line(text: str, needle: str, start: int = 0) -> int:
    return text[: text.index(needle, start)].count("\n") + 1


def test_every_mistake_in_contacts_and_courses_is_reported_with_its_line() -> None:
    text = MISTAKES
    with pytest.raises(DeskFileError) as failed:
        read_desk(text)
    second_security = text.index('name = "Security"', text.index('name = "Security"') + 1)
    second_line = _line(text, 'name = "Security"', second_security)
    assert failed.value.errors == sorted(
        [
            (
                _line(text, '"atlantis"'),
                "campus 'atlantis' is neither in this file nor on the desk "
                "(leave it out for a consortium-wide contact).",
            ),
            (
                _line(text, '"chaplaincy"'),
                "category is one of counselling, security, it_help_desk, disability_services, "
                "writing_centre, library_staff, emergency, crisis_line, not 'chaplaincy'.",
            ),
            (
                _line(text, '"call us"'),
                "'call us' is not a phone number: digits, spaces, + ( ) - . / and an "
                "extension (ext. 12) only.",
            ),
            (_line(text, '"nobody"'), "'nobody' is not an email address."),
            (
                _line(text, "Night line"),
                "Name has an invisible or control character (U+200B); remove it.",
            ),
            (_line(text, "javascript:"), "A link is an http:// or https:// address."),
            (
                _line(text, "colour"),
                "Unknown key 'colour'; expected name, role, campus, category, phone, email, "
                "link, available, note, active.",
            ),
            (
                _line(text, '"atlantis"', second_security),
                "campus 'atlantis' is neither in this file nor on the desk "
                "(leave it out for a consortium-wide contact).",
            ),
            (_line(text, "<b>Course"), "Title is plain text: it may not have < or >."),
            (_line(text, "ftp://"), "A link is an http:// or https:// address."),
            # No title: the line of the course's [[courses]].
            (_line(text, 'provider = "Nobody"') - 1, "Title is required."),
            (second_line, "name 'Security' appears twice in campus 'atlantis'."),
        ]
    )
    assert rows() == ([], [])
