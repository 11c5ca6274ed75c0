"""Applying a checked desk file, through the campuses', the librarians', the snippets' and
the directory's own actions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from refdesk.accounts.actions import do_add_librarian, do_update_librarian
from refdesk.accounts.models import Librarian
from refdesk.campuses.actions import (
    do_set_closures,
    do_set_links,
    do_set_special_hours,
    do_set_weekly_hours,
    do_upsert_campus,
)
from refdesk.campuses.models import Campus
from refdesk.directory.actions import (
    check_contact_fields,
    check_course_fields,
    do_add_contact,
    do_add_course,
    do_change_contact,
    do_change_course,
)
from refdesk.directory.models import Contact, Course
from refdesk.setup.deskfile import Desk
from refdesk.snippets.actions import check_snippet_text, do_add_snippet, do_change_snippet
from refdesk.snippets.models import Scope, Snippet


@dataclass
class ImportReport:
    campuses: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # The titles of the snippets the import added.
    snippets_added: list[str] = field(default_factory=list)
    # The names of the contacts and the titles of the courses the import added.
    contacts_added: list[str] = field(default_factory=list)
    courses_added: list[str] = field(default_factory=list)


def do_import_desk(desk: Desk, *, new_password: str | None = None) -> ImportReport:
    """Make the desk what ``desk`` says, in one transaction: every campus of the file
    created or updated with its weekly hours, closures, special hours and links (each
    replaced whole; its position is its place in the file), every
    librarian created or updated, every snippet added or (found by its campus, or none,
    and its title) updated, its position its place in the file; every contact (found by
    its campus, or none, and its name) and every course (by its title) likewise. Nothing
    the file leaves
    out is removed, and existing passwords are left alone; new librarians get
    ``new_password`` (``None``: no usable password until one is set). Importing the same
    file twice changes nothing."""
    report = ImportReport()
    with transaction.atomic():
        campuses: dict[str, Campus] = {}
        for position, spec in enumerate(desk.campuses):
            campus = do_upsert_campus(
                spec.slug,
                name=spec.name,
                colour=spec.colour,
                timezone=spec.timezone,
                website=spec.website,
                position=position,
            )
            do_set_weekly_hours(campus, hours=spec.hours)
            do_set_closures(campus, closures=list(spec.closures))
            do_set_special_hours(campus, days=list(spec.special_hours))
            do_set_links(campus, links=list(spec.links))
            campuses[spec.slug] = campus
            report.campuses.append(spec.slug)
        wanted = (
            {spec.campus for spec in desk.librarians}
            | {spec.campus for spec in desk.snippets if spec.campus}
            | {spec.campus for spec in desk.contacts if spec.campus}
        )
        wanted -= set(campuses)
        campuses.update({c.slug: c for c in Campus.objects.filter(slug__in=wanted)})
        existing = {
            lib.user.username: lib
            for lib in Librarian.objects.select_related("user").filter(
                user__username__in=[spec.username for spec in desk.librarians]
            )
        }
        for person in desk.librarians:
            librarian = existing.get(person.username)
            if librarian is None:
                do_add_librarian(
                    person.username,
                    password=new_password,
                    campus=campuses[person.campus],
                    role=person.role,
                    display_name=person.display_name,
                    email=person.email,
                    active=person.active,
                )
                report.added.append(person.username)
            elif do_update_librarian(
                librarian,
                display_name=person.display_name,
                email=person.email,
                campus=campuses[person.campus],
                role=person.role,
                active=person.active,
            ):
                report.changed.append(person.username)
            else:
                report.unchanged.append(person.username)
        _import_snippets(desk, campuses, report)
        _import_directory(desk, campuses, report)
    return report


def _import_directory(desk: Desk, campuses: dict[str, Campus], report: ImportReport) -> None:
    contacts = {
        (contact.campus.slug if contact.campus is not None else "", contact.name): contact
        for contact in Contact.objects.select_related("campus")
    }
    for position, spec in enumerate(desk.contacts):
        fields = check_contact_fields(
            name=spec.name,
            role=spec.role,
            campus=campuses[spec.campus] if spec.campus else None,
            category=spec.category,
            phone=spec.phone,
            email=spec.email,
            link=spec.link,
            available=spec.available,
            note=spec.note,
            position=position,
            active=spec.active,
        )
        current = contacts.get((spec.campus, spec.name))
        if current is not None:
            do_change_contact(current, fields)
        else:
            do_add_contact(fields)
            report.contacts_added.append(spec.name)
    courses = {course.title: course for course in Course.objects.all()}
    for position, course_spec in enumerate(desk.courses):
        course_fields = check_course_fields(
            title=course_spec.title,
            provider=course_spec.provider,
            link=course_spec.link,
            cost=course_spec.cost,
            length=course_spec.length,
            why=course_spec.why,
            position=position,
            active=course_spec.active,
        )
        known = courses.get(course_spec.title)
        if known is not None:
            do_change_course(known, course_fields)
        else:
            do_add_course(course_fields)
            report.courses_added.append(course_spec.title)


def _import_snippets(desk: Desk, campuses: dict[str, Campus], report: ImportReport) -> None:
    shared = {
        (snippet.campus.slug if snippet.campus is not None else "", snippet.title): snippet
        for snippet in Snippet.objects.filter(
            scope__in=(Scope.GLOBAL, Scope.CAMPUS)
        ).select_related("campus")
    }
    for position, spec in enumerate(desk.snippets):
        text = check_snippet_text(title=spec.title, body=spec.body, shortcut=spec.shortcut)
        current = shared.get((spec.campus, spec.title))
        if current is not None:
            do_change_snippet(current, text, purpose=spec.purpose, position=position)
            continue
        do_add_snippet(
            text,
            scope=Scope.CAMPUS if spec.campus else Scope.GLOBAL,
            campus=campuses[spec.campus] if spec.campus else None,
            purpose=spec.purpose,
            position=position,
        )
        report.snippets_added.append(spec.title)
