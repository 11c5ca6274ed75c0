"""The directory in the admin: supervisors (and admins) add, change and delete contacts
and courses through the actions, each change audited and sent to every console;
librarians are sent to the admin's login; a bad value is shown beside its field and
nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from refdesk.campuses.models import Campus
from refdesk.core.models import AuditEntry
from refdesk.directory.models import Contact, Course
from refdesk.directory.selectors import list_contact_entries, list_course_entries
from tests.admin.support import errors_of
from tests.support import assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db

CONTACTS = "/admin/directory/contact/"
COURSES = "/admin/directory/course/"


def contact_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "North Campus Security",
        "role": "Dispatch",
        "campus": str(Campus.objects.get(slug="north").pk),
        "category": "security",
        "phone": "+1 555-011-9111",
        "email": "",
        "link": "",
        "available": "24/7",
        "note": "",
        "position": "0",
        "active": "on",
        **fields,
    }


def course_form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "De-escalation Series",
        "provider": "CISA",
        "link": "https://www.cisa.gov/",
        "cost": "Free",
        "length": "Four modules",
        "why": "Calming an angry patron.",
        "position": "0",
        "active": "on",
        **fields,
    }


def directory_audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.filter(target_type__in=("contact", "course"))
        .order_by("pk")
        .values_list("actor_name", "action", "target_repr")
    )


def changed() -> Any:
    return (
        ("staff",),
        {
            "type": "directory.changed",
            "contacts": list_contact_entries(),
            "courses": list_course_entries(),
        },
    )


def test_a_supervisor_adds_changes_and_deletes_a_contact_with_audit(
    supervisor_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    commits = django_capture_on_commit_callbacks
    with capture_events() as sent, commits(execute=True):
        response = supervisor_client.post(f"{CONTACTS}add/", contact_form())
    assert response.status_code == 302, errors_of(response)
    assert_events_exactly(sent, [changed()])
    contact = Contact.objects.get()
    assert (contact.name, contact.campus.slug if contact.campus else None, contact.phone) == (
        "North Campus Security",
        "north",
        "+1 555-011-9111",
    )

    page = f"{CONTACTS}{contact.pk}/change/"
    assert supervisor_client.get(page).status_code == 200
    with capture_events() as sent, commits(execute=True):
        response = supervisor_client.post(page, contact_form(campus="", available="Always"))
    assert response.status_code == 302, errors_of(response)
    assert_events_exactly(sent, [changed()])
    assert Contact.objects.get().campus is None

    # Saved again as it is: nothing written, nobody told.
    with capture_events() as sent, commits(execute=True):
        response = supervisor_client.post(page, contact_form(campus="", available="Always"))
    assert response.status_code == 302
    assert_events_exactly(sent, [])

    with capture_events() as sent, commits(execute=True):
        response = supervisor_client.post(f"{CONTACTS}{contact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert_events_exactly(sent, [changed()])
    assert not Contact.objects.exists()
    assert directory_audit() == [
        ("dee", "contact.add", "North Campus Security (North Campus Library)"),
        ("dee", "contact.change", "North Campus Security (Consortium-wide)"),
        ("dee", "contact.delete", "North Campus Security (Consortium-wide)"),
    ]


def test_a_supervisor_adds_changes_and_deletes_a_course_with_audit(
    supervisor_client: Client,
) -> None:
    assert supervisor_client.post(f"{COURSES}add/", course_form()).status_code == 302
    course = Course.objects.get()
    page = f"{COURSES}{course.pk}/change/"
    assert supervisor_client.post(page, course_form(cost="Free to audit")).status_code == 302
    assert Course.objects.get().cost == "Free to audit"
    assert (
        supervisor_client.post(f"{COURSES}{course.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert not Course.objects.exists()
    assert directory_audit() == [
        ("dee", "course.add", "De-escalation Series"),
        ("dee", "course.change", "De-escalation Series"),
        ("dee", "course.delete", "De-escalation Series"),
    ]


def test_an_admin_keeps_the_directory_too(admin_client: Client) -> None:
    assert admin_client.post(f"{CONTACTS}add/", contact_form()).status_code == 302
    assert directory_audit() == [
        ("root", "contact.add", "North Campus Security (North Campus Library)")
    ]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"phone": "call me maybe"}, "'call me maybe' is not a phone number"),
        ({"link": "javascript:alert(1)"}, "A link is an http:// or https:// address."),
        ({"name": "<b>Security</b>"}, "Name is plain text: it may not have < or >."),
        ({"role": "Dispatch\u200d"}, "Role has an invisible or control character (U+200D)"),
        ({"phone": "", "email": ""}, "A contact needs a phone number, an email or a link."),
    ],
)
def test_a_bad_contact_is_shown_again_with_its_error_and_nothing_is_stored(
    supervisor_client: Client,
    fields: dict[str, str],
    error: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    commits = django_capture_on_commit_callbacks
    with capture_events() as sent, commits(execute=True):
        response = supervisor_client.post(f"{CONTACTS}add/", contact_form(**fields))
    assert response.status_code == 200
    assert error in errors_of(response)
    assert_events_exactly(sent, [])
    assert not Contact.objects.exists()
    assert directory_audit() == []


def test_a_librarian_is_sent_to_the_admin_login_and_changes_nothing(
    librarian_client: Client,
) -> None:
    for path in (CONTACTS, f"{CONTACTS}add/", COURSES, f"{COURSES}add/"):
        response = librarian_client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={path}"
    response = librarian_client.post(f"{CONTACTS}add/", contact_form())
    assert response.status_code == 302
    assert not Contact.objects.exists()
    assert directory_audit() == []
