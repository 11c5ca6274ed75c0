"""Directory actions: the rows, the audit entries and the events they send; the checks
that refuse bad input and store nothing; the console's snapshot part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from refdesk.campuses.actions import do_delete_campus
from refdesk.campuses.models import Campus
from refdesk.core.errors import ActionError
from refdesk.core.frames import build_snapshot
from refdesk.core.models import AuditEntry
from refdesk.directory.actions import (
    check_contact_fields,
    check_course_fields,
    do_add_contact,
    do_add_course,
    do_change_contact,
    do_change_course,
    do_delete_contact,
    do_delete_course,
)
from refdesk.directory.models import Contact, Course
from refdesk.directory.selectors import get_directory
from tests.support import assert_events_exactly, capture_events

# The events go out after the commit: the tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dee() -> Any:
    return get_user_model().objects.create_user("dee", is_staff=True)


def audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.filter(target_type__in=("contact", "course"))
        .order_by("pk")
        .values_list("actor_name", "action", "target_type", "target_repr", "changes")
    )


def counselling(campus: Campus | None = None, **fields: Any) -> Any:
    return check_contact_fields(
        **{
            "name": "North Counselling Centre",
            "role": "Counsellor on call",
            "campus": campus,
            "category": "counselling",
            "phone": "+1 555-011-4400",
            "email": "counselling@example.edu",
            "link": "https://www.example.edu/counselling",
            "available": "Mon–Fri 9–5",
            "note": "After hours\nthe on-call line.",
            **fields,
        }
    )


def first_aid(**fields: Any) -> Any:
    return check_course_fields(
        **{
            "title": "Psychological First Aid",
            "provider": "NCTSN",
            "link": "https://learn.nctsn.org/",
            "cost": "Free",
            "length": "6 hours",
            "why": "Comfort and connect.",
            **fields,
        }
    )


def changed(contacts: list[dict[str, Any]], courses: list[dict[str, Any]]) -> Any:
    return (("staff",), {"type": "directory.changed", "contacts": contacts, "courses": courses})


def test_a_contact_is_added_changed_and_deleted_with_audit_and_every_console_told(
    dee: Any, make_campus: Callable[..., Campus]
) -> None:
    north = make_campus("north")
    with capture_events() as sent:
        contact = do_add_contact(counselling(north), actor=dee)
    entry = {
        "id": contact.pk,
        "name": "North Counselling Centre",
        "role": "Counsellor on call",
        "campus": "north",
        "campus_name": north.name,
        "category": "counselling",
        "category_label": "Counselling",
        "phone": "+1 555-011-4400",
        "email": "counselling@example.edu",
        "link": "https://www.example.edu/counselling",
        "available": "Mon–Fri 9–5",
        "note": "After hours\nthe on-call line.",
    }
    assert_events_exactly(sent, [changed([entry], [])])
    assert list(Contact.objects.values_list("name", "campus__slug", "position", "active")) == [
        ("North Counselling Centre", "north", 0, True)
    ]

    with capture_events() as sent:
        do_change_contact(contact, counselling(phone="555-011-4401"), actor=dee)
    moved = {**entry, "phone": "555-011-4401", "campus": None, "campus_name": None}
    assert_events_exactly(sent, [changed([moved], [])])

    with capture_events() as sent:
        do_delete_contact(contact, actor=dee)
    assert_events_exactly(sent, [changed([], [])])
    assert not Contact.objects.exists()
    where = f"North Counselling Centre ({north.name})"
    assert audit() == [
        (
            "dee",
            "contact.add",
            "contact",
            where,
            {
                "name": "North Counselling Centre",
                "role": "Counsellor on call",
                "campus": "north",
                "category": "counselling",
                "phone": "+1 555-011-4400",
                "email": "counselling@example.edu",
                "link": "https://www.example.edu/counselling",
                "available": "Mon–Fri 9–5",
                "note": "After hours\nthe on-call line.",
                "position": 0,
                "active": True,
            },
        ),
        (
            "dee",
            "contact.change",
            "contact",
            "North Counselling Centre (Consortium-wide)",
            {"campus": ["north", None], "phone": ["+1 555-011-4400", "555-011-4401"]},
        ),
        (
            "dee",
            "contact.delete",
            "contact",
            "North Counselling Centre (Consortium-wide)",
            {
                "name": "North Counselling Centre",
                "role": "Counsellor on call",
                "campus": None,
                "category": "counselling",
                "phone": "555-011-4401",
                "email": "counselling@example.edu",
                "link": "https://www.example.edu/counselling",
                "available": "Mon–Fri 9–5",
                "note": "After hours\nthe on-call line.",
                "position": 0,
                "active": True,
            },
        ),
    ]


def test_a_course_is_added_changed_and_deleted_with_audit_and_every_console_told(
    dee: Any,
) -> None:
    with capture_events() as sent:
        course = do_add_course(first_aid(), actor=dee)
    entry = {
        "id": course.pk,
        "title": "Psychological First Aid",
        "provider": "NCTSN",
        "link": "https://learn.nctsn.org/",
        "cost": "Free",
        "length": "6 hours",
        "why": "Comfort and connect.",
    }
    assert_events_exactly(sent, [changed([], [entry])])
    with capture_events() as sent:
        do_change_course(course, first_aid(cost="Free to audit", active=False), actor=dee)
    # An inactive course leaves the console.
    assert_events_exactly(sent, [changed([], [])])
    with capture_events() as sent:
        do_delete_course(course, actor=dee)
    assert_events_exactly(sent, [changed([], [])])
    assert not Course.objects.exists()
    assert [row[:4] for row in audit()] == [
        ("dee", "course.add", "course", "Psychological First Aid"),
        ("dee", "course.change", "course", "Psychological First Aid"),
        ("dee", "course.delete", "course", "Psychological First Aid"),
    ]
    assert audit()[1][4] == {"cost": ["Free", "Free to audit"], "active": [True, False]}


def test_a_change_that_changes_nothing_writes_nothing_and_tells_nobody(dee: Any) -> None:
    contact = do_add_contact(counselling(), actor=dee)
    course = do_add_course(first_aid(), actor=dee)
    before = audit()
    with capture_events() as sent:
        do_change_contact(contact, counselling(), actor=dee)
        do_change_course(course, first_aid(), actor=dee)
    assert_events_exactly(sent, [])
    assert audit() == before


def test_the_snapshot_part_holds_active_entries_consortium_wide_first_then_by_campus(
    make_campus: Callable[..., Campus], make_librarian: Callable[..., Any]
) -> None:
    north = make_campus("north")
    south = make_campus("south")
    ana = make_librarian("ana", campus="north")
    do_add_contact(counselling(south, name="South Security", category="security", position=1))
    do_add_contact(counselling(south, name="South Counselling", position=0))
    do_add_contact(counselling(north, name="North Counselling"))
    do_add_contact(counselling(name="988 Lifeline", category="crisis_line", phone="988"))
    do_add_contact(counselling(name="Gone", active=False))
    do_add_course(first_aid(title="B course", position=1))
    do_add_course(first_aid(title="A course", position=2))
    do_add_course(first_aid(title="Hidden", active=False))
    directory = build_snapshot(ana, 0)["directory"]
    assert directory == get_directory()
    assert [(c["name"], c["campus"]) for c in directory["contacts"]] == [
        ("988 Lifeline", None),
        ("North Counselling", "north"),
        ("South Counselling", "south"),
        ("South Security", "south"),
    ]
    assert [c["title"] for c in directory["courses"]] == ["B course", "A course"]


def test_a_campus_with_contacts_is_not_deleted(make_campus: Callable[..., Campus]) -> None:
    east = make_campus("east")
    do_add_contact(counselling(east))
    with pytest.raises(ActionError) as refused:
        do_delete_campus(east)
    assert refused.value.code == "in_use"
    assert Campus.objects.filter(slug="east").exists()
    assert Contact.objects.count() == 1


ZERO_WIDTH = "North\u200bCounselling"
RIGHT_TO_LEFT = "Counselling \u202eevil"


@pytest.mark.parametrize(
    ("fields", "code", "field", "message"),
    [
        ({"name": ""}, "invalid", "name", "Name is required."),
        ({"name": "x" * 121}, "too_long", "name", "Name is 121 characters; the limit is 120."),
        ({"note": "x" * 1001}, "too_long", "note", "Note is 1,001 characters; the limit is 1,000."),
        (
            {"name": "<script>alert(1)</script>"},
            "invalid",
            "name",
            "Name is plain text: it may not have < or >.",
        ),
        (
            {"note": 'Call <a href="x">us</a>'},
            "invalid",
            "note",
            "Note is plain text: it may not have < or >.",
        ),
        (
            {"name": ZERO_WIDTH},
            "invalid",
            "name",
            "Name has an invisible or control character (U+200B); remove it.",
        ),
        (
            {"role": RIGHT_TO_LEFT},
            "invalid",
            "role",
            "Role has an invisible or control character (U+202E); remove it.",
        ),
        (
            {"available": "24/7\x00"},
            "invalid",
            "available",
            "Available has an invisible or control character (U+0000); remove it.",
        ),
        ({"name": 42}, "invalid", "name", "Name must be text."),
        (
            {"category": "chaplain"},
            "invalid",
            "category",
            "A contact's category is one of counselling, security, it_help_desk, "
            "disability_services, writing_centre, library_staff, emergency, crisis_line.",
        ),
        (
            {"phone": "555'; DROP TABLE x; --"},
            "invalid",
            "phone",
            '"555\'; DROP TABLE x; --" is not a phone number: digits, '
            "spaces, + ( ) - . / and an extension (ext. 12) only.",
        ),
        (
            {"phone": "12"},
            "invalid",
            "phone",
            "'12' is not a phone number: digits, spaces, + ( ) - . / and an extension "
            "(ext. 12) only.",
        ),
        (
            {"email": "not an address"},
            "invalid",
            "email",
            "'not an address' is not an email address.",
        ),
        (
            {"link": "javascript:alert(1)"},
            "invalid",
            "link",
            "A link is an http:// or https:// address.",
        ),
        (
            {"link": "ftp://example.edu/"},
            "invalid",
            "link",
            "A link is an http:// or https:// address.",
        ),
        (
            {"phone": "", "email": "", "link": ""},
            "invalid",
            "phone",
            "A contact needs a phone number, an email or a link.",
        ),
        ({"position": -1}, "invalid", "position", "A position is a whole number from 0 to 32767."),
    ],
)
def test_bad_contact_input_is_refused_with_a_clear_error_and_nothing_is_stored(
    fields: dict[str, Any], code: str, field: str, message: str
) -> None:
    with pytest.raises(ActionError) as refused:
        do_add_contact(counselling(**fields))
    assert (refused.value.code, refused.value.extra["field"], refused.value.message) == (
        code,
        field,
        message,
    )
    assert not Contact.objects.exists()
    assert audit() == []


def test_sql_like_words_in_a_name_are_kept_as_plain_text() -> None:
    name = "Robert'); DROP TABLE directory_contact; --"
    do_add_contact(counselling(name=name))
    assert list(Contact.objects.values_list("name", flat=True)) == [name]


def test_phone_numbers_people_write_are_accepted() -> None:
    for phone in ("988", "911", "+1 (555) 010-4477", "555.010.4477 ext. 12", "555-010-4477 x3"):
        assert counselling(phone=phone).phone == phone


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Title is required."),
        ({"provider": " "}, "provider", "Provider is required."),
        ({"link": ""}, "link", "Link is required."),
        ({"link": "data:text/html,hi"}, "link", "A link is an http:// or https:// address."),
        (
            {"why": "<img src=x onerror=alert(1)>"},
            "why",
            "Why is plain text: it may not have < or >.",
        ),
        (
            {"cost": "Free\u2066"},
            "cost",
            "Cost has an invisible or control character (U+2066); remove it.",
        ),
        ({"length": "x" * 61}, "length", "Length is 61 characters; the limit is 60."),
    ],
)
def test_bad_course_input_is_refused_with_a_clear_error_and_nothing_is_stored(
    fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ActionError) as refused:
        do_add_course(first_aid(**fields))
    assert (refused.value.extra["field"], refused.value.message) == (field, message)
    assert not Course.objects.exists()
