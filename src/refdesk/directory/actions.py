"""The only writer of the directory's contacts and courses.

Every change writes an audit entry (:func:`refdesk.core.actions.do_record_audit`) in its
transaction (``actor`` None: the command line or a desk file's import) and, after the
commit, tells every console the whole directory (``directory.changed``), so that nobody
needs to reload. A change that changes nothing writes nothing and tells nobody.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from refdesk.campuses.models import Campus
from refdesk.core.actions import do_change_fields, do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit
from refdesk.core.text import clean_text
from refdesk.directory.models import (
    AVAILABLE_MAX,
    COST_MAX,
    EMAIL_MAX,
    LENGTH_MAX,
    LINK_MAX,
    NAME_MAX,
    NOTE_MAX,
    PHONE_MAX,
    PROVIDER_MAX,
    ROLE_MAX,
    TITLE_MAX,
    WHY_MAX,
    Category,
    Contact,
    Course,
)
from refdesk.directory.selectors import list_contact_entries, list_course_entries

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# Controls (other than a note's line ends), and the characters that change how text reads
# without showing: format characters (zero-width spaces and joiners, direction marks,
# embeddings, overrides and isolates, the byte-order mark) and lone surrogates. A
# directory entry is read under pressure: what it shows must be what it says.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")
# "+1 (555) 010-4477", "988", "555.010.4477 ext. 12": digits, spaces and the usual marks.
_PHONE = re.compile(r"^\+?[0-9(][0-9 ().\-/]*(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)
_PHONE_DIGITS_MIN = 3
_POSITION_MAX = 32767
_URL = URLValidator(schemes=["http", "https"])


def _hidden_character(value: str, *, multiline: bool) -> str | None:
    for char in value:
        if char in "\n\t" and multiline:
            continue
        if char == " ":
            continue
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs", "Zl", "Zp"} or char in _BLANK_LOOKALIKES:
            return f"U+{ord(char):04X}"
    return None


def _text(
    value: object, *, field: str, max_chars: int, required: bool = False, multiline: bool = False
) -> str:
    """Plain text, trimmed (and for one line, its runs of blanks made one space). Raises
    ``ActionError("invalid")`` for a non-string, invisible or control characters, markup
    (``<`` or ``>``) or a missing required value, and ``ActionError("too_long")`` past
    ``max_chars``; nothing is stripped silently."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActionError("invalid", f"{_label(field)} must be text.", field=field)
    hidden = _hidden_character(value.replace("\r\n", "\n"), multiline=multiline)
    if hidden is not None:
        raise ActionError(
            "invalid",
            f"{_label(field)} has an invisible or control character ({hidden}); remove it.",
            field=field,
        )
    if "<" in value or ">" in value:
        raise ActionError(
            "invalid", f"{_label(field)} is plain text: it may not have < or >.", field=field
        )
    cleaned = clean_text(
        value, field=field, max_chars=max_chars, required=False, multiline=multiline
    )
    if required and not cleaned:
        raise ActionError("invalid", f"{_label(field)} is required.", field=field)
    return cleaned


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def _phone(value: object) -> str:
    phone = _text(value, field="phone", max_chars=PHONE_MAX)
    digits = sum(char.isdigit() for char in phone)
    if phone and (not _PHONE.match(phone) or digits < _PHONE_DIGITS_MIN):
        raise ActionError(
            "invalid",
            f"{phone!r} is not a phone number: digits, spaces, + ( ) - . / and an "
            "extension (ext. 12) only.",
            field="phone",
        )
    return phone


def _email(value: object) -> str:
    email = _text(value, field="email", max_chars=EMAIL_MAX)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ActionError(
                "invalid", f"{email!r} is not an email address.", field="email"
            ) from exc
    return email


def _link(value: object, *, required: bool = False) -> str:
    link = _text(value, field="link", max_chars=LINK_MAX, required=required)
    if link:
        try:
            _URL(link)
        except ValidationError as exc:
            raise ActionError(
                "invalid", "A link is an http:// or https:// address.", field="link"
            ) from exc
    return link


def _position(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _POSITION_MAX:
        raise ActionError(
            "invalid", f"A position is a whole number from 0 to {_POSITION_MAX}.", field="position"
        )
    return value


def _active(value: object) -> bool:
    if not isinstance(value, bool):
        raise ActionError("invalid", "active is true or false.", field="active")
    return value


@dataclass(frozen=True)
class ContactFields:
    """A contact's checked fields: what :func:`check_contact_fields` returns."""

    name: str
    role: str
    campus: Campus | None
    category: str
    phone: str
    email: str
    link: str
    available: str
    note: str
    position: int = 0
    active: bool = True


@dataclass(frozen=True)
class CourseFields:
    """A course's checked fields: what :func:`check_course_fields` returns."""

    title: str
    provider: str
    link: str
    cost: str
    length: str
    why: str
    position: int = 0
    active: bool = True


def check_contact_fields(
    *,
    name: object,
    category: object,
    campus: Campus | None = None,
    role: object = "",
    phone: object = "",
    email: object = "",
    link: object = "",
    available: object = "",
    note: object = "",
    position: object = 0,
    active: object = True,
) -> ContactFields:
    """A contact's fields, checked. Raises ``ActionError("invalid")`` (with ``field``) for
    a missing name, an unknown category, a phone that is not a phone number, an email that
    is not an address, a link that is not http(s), invisible or control characters or
    markup in any text, and a contact with no phone, email or link; and
    ``ActionError("too_long")`` past a field's limit."""
    checked = ContactFields(
        name=_text(name, field="name", max_chars=NAME_MAX, required=True),
        role=_text(role, field="role", max_chars=ROLE_MAX),
        campus=campus,
        category=_category(category),
        phone=_phone(phone),
        email=_email(email),
        link=_link(link),
        available=_text(available, field="available", max_chars=AVAILABLE_MAX),
        note=_text(note, field="note", max_chars=NOTE_MAX, multiline=True),
        position=_position(position),
        active=_active(active),
    )
    if not (checked.phone or checked.email or checked.link):
        raise ActionError(
            "invalid", "A contact needs a phone number, an email or a link.", field="phone"
        )
    return checked


def _category(value: object) -> str:
    if not isinstance(value, str) or value not in Category.values:
        raise ActionError(
            "invalid",
            f"A contact's category is one of {', '.join(Category.values)}.",
            field="category",
        )
    return value


def check_course_fields(
    *,
    title: object,
    provider: object,
    link: object,
    cost: object = "",
    length: object = "",
    why: object = "",
    position: object = 0,
    active: object = True,
) -> CourseFields:
    """A course's fields, checked: a title, a provider and an http(s) link are required.
    Raises as :func:`check_contact_fields` does."""
    return CourseFields(
        title=_text(title, field="title", max_chars=TITLE_MAX, required=True),
        provider=_text(provider, field="provider", max_chars=PROVIDER_MAX, required=True),
        link=_link(link, required=True),
        cost=_text(cost, field="cost", max_chars=COST_MAX),
        length=_text(length, field="length", max_chars=LENGTH_MAX),
        why=_text(why, field="why", max_chars=WHY_MAX, multiline=True),
        position=_position(position),
        active=_active(active),
    )


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _tell_consoles() -> None:
    """After the commit, every console gets the whole directory (``directory.changed``)."""
    send_event_on_commit(
        [STAFF_GROUP],
        {
            "type": "directory.changed",
            "contacts": list_contact_entries(),
            "courses": list_course_entries(),
        },
    )


def _values(fields: ContactFields | CourseFields) -> dict[str, Any]:
    # Not dataclasses.asdict, which would deep-copy the campus row.
    return {field.name: getattr(fields, field.name) for field in dataclasses.fields(fields)}


def _contact_repr(contact: Contact) -> str:
    return f"{contact.name} ({contact.place()})"


def _shown(key: str, value: Any) -> Any:
    """A value as the audit entry keeps it: a campus by its slug."""
    if key == "campus":
        return value.slug if value is not None else None
    return value


def do_add_contact(fields: ContactFields, *, actor: AbstractBaseUser | None = None) -> Contact:
    """Add a contact with checked ``fields`` (:func:`check_contact_fields`). Audits
    ``contact.add`` and tells every console (``directory.changed``)."""
    values = _values(fields)
    with transaction.atomic():
        contact = Contact.objects.create(**values)
        do_record_audit(
            actor,
            "contact.add",
            target_type="contact",
            target_id=contact.pk,
            target_repr=_contact_repr(contact),
            changes={key: _shown(key, value) for key, value in values.items()},
        )
        _tell_consoles()
    return contact


def do_change_contact(
    contact: Contact, fields: ContactFields, *, actor: AbstractBaseUser | None = None
) -> Contact:
    """Give the contact the checked ``fields``. Writes, audits (``contact.change``, each
    changed field as [before, after]) and tells every console only when something
    changed."""
    wanted = _values(fields)
    with transaction.atomic():
        current = Contact.objects.select_related("campus").get(pk=contact.pk)
        changes = do_change_fields(current, wanted, shown=_shown)
        if not changes:
            return current
        do_record_audit(
            actor,
            "contact.change",
            target_type="contact",
            target_id=current.pk,
            target_repr=_contact_repr(current),
            changes=changes,
        )
        _tell_consoles()
    return current


def do_delete_contact(contact: Contact, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete the contact. Audits ``contact.delete`` with what it said and tells every
    console."""
    with transaction.atomic():
        current = Contact.objects.select_related("campus").get(pk=contact.pk)
        do_record_audit(
            actor,
            "contact.delete",
            target_type="contact",
            target_id=current.pk,
            target_repr=_contact_repr(current),
            changes={
                field.name: _shown(field.name, getattr(current, field.name))
                for field in dataclasses.fields(ContactFields)
            },
        )
        current.delete()
        _tell_consoles()


def do_add_course(fields: CourseFields, *, actor: AbstractBaseUser | None = None) -> Course:
    """Add a course with checked ``fields`` (:func:`check_course_fields`). Audits
    ``course.add`` and tells every console (``directory.changed``)."""
    values = _values(fields)
    with transaction.atomic():
        course = Course.objects.create(**values)
        do_record_audit(
            actor,
            "course.add",
            target_type="course",
            target_id=course.pk,
            target_repr=course.title,
            changes=values,
        )
        _tell_consoles()
    return course


def do_change_course(
    course: Course, fields: CourseFields, *, actor: AbstractBaseUser | None = None
) -> Course:
    """Give the course the checked ``fields``. Writes, audits (``course.change``) and
    tells every console only when something changed."""
    wanted = _values(fields)
    with transaction.atomic():
        current = Course.objects.get(pk=course.pk)
        changes = do_change_fields(current, wanted)
        if not changes:
            return current
        do_record_audit(
            actor,
            "course.change",
            target_type="course",
            target_id=current.pk,
            target_repr=current.title,
            changes=changes,
        )
        _tell_consoles()
    return current


def do_delete_course(course: Course, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete the course. Audits ``course.delete`` with what it said and tells every
    console."""
    with transaction.atomic():
        current = Course.objects.get(pk=course.pk)
        do_record_audit(
            actor,
            "course.delete",
            target_type="course",
            target_id=current.pk,
            target_repr=current.title,
            changes={
                field.name: getattr(current, field.name)
                for field in dataclasses.fields(CourseFields)
            },
        )
        current.delete()
        _tell_consoles()
