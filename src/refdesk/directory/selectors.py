"""Reading the directory as the console gets it."""

from __future__ import annotations

from typing import Any

from refdesk.directory.models import Category, Contact, Course


def contact_entry(contact: Contact) -> dict[str, Any]:
    """A contact as the console gets it (``directory.events.DirectoryContact``)."""
    campus = contact.campus
    return {
        "id": contact.pk,
        "name": contact.name,
        "role": contact.role,
        "campus": campus.slug if campus is not None else None,
        "campus_name": campus.name if campus is not None else None,
        "category": contact.category,
        "category_label": Category(contact.category).label,
        "phone": contact.phone,
        "email": contact.email,
        "link": contact.link,
        "available": contact.available,
        "note": contact.note,
    }


def course_entry(course: Course) -> dict[str, Any]:
    """A course as the console gets it (``directory.events.DirectoryCourse``)."""
    return {
        "id": course.pk,
        "title": course.title,
        "provider": course.provider,
        "link": course.link,
        "cost": course.cost,
        "length": course.length,
        "why": course.why,
    }


def list_contact_entries() -> list[dict[str, Any]]:
    """Every active contact: consortium-wide ones first, then each campus's in the
    campuses' order; within each, by position and name."""
    rows = Contact.objects.filter(active=True).select_related("campus")
    ordered = sorted(
        rows,
        key=lambda c: (
            c.campus is not None,
            (c.campus.position, c.campus.name) if c.campus is not None else (0, ""),
            c.position,
            c.name,
            c.pk,
        ),
    )
    return [contact_entry(contact) for contact in ordered]


def list_course_entries() -> list[dict[str, Any]]:
    """Every active course, by position and title."""
    return [course_entry(course) for course in Course.objects.filter(active=True)]


def get_directory() -> dict[str, Any]:
    """The console's directory (``directory.events.Directory``)."""
    return {"contacts": list_contact_entries(), "courses": list_course_entries()}
