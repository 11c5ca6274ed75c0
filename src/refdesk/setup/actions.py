"""Applying a checked desk file, through the campuses', the librarians' and the snippets'
own actions."""

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


def do_import_desk(desk: Desk, *, new_password: str | None = None) -> ImportReport:
    """Make the desk what ``desk`` says, in one transaction: every campus of the file
    created or updated with its weekly hours, closures, special hours and links (each
    replaced whole; its position is its place in the file), every
    librarian created or updated, every snippet added or (found by its campus, or none,
    and its title) updated, its position its place in the file. Nothing the file leaves
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
        wanted = {spec.campus for spec in desk.librarians} | {
            spec.campus for spec in desk.snippets if spec.campus
        }
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
    return report


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
