"""The only writer of the watched terms and the panels' guidance.

Every change writes an audit entry (:func:`refdesk.core.actions.do_record_audit`) in its
transaction; ``actor`` is the user who made it (``None``: the command line). A change of
the terms makes this process's detector rebuild after the commit (other processes follow
within ``detector.RELOAD_SECONDS``); a change of the guidance sends every console
``safety.changed`` after the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from refdesk.core.actions import do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit
from refdesk.core.text import clean_text
from refdesk.safety.detector import TermError, forget_terms, term_words
from refdesk.safety.models import (
    GUIDANCE_MAX,
    LANGUAGE_MAX,
    NOTE_MAX,
    TERM_MAX,
    Guidance,
    GuidanceKind,
    Section,
    TermKind,
    WatchTerm,
)
from refdesk.safety.selectors import list_guidance

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
# Markup has no place in a term or a step: it is shown as text, and refused to be clear.
_MARKUP = re.compile(r"[<>]")


@dataclass(frozen=True)
class TermText:
    """A term's checked fields: what :func:`check_watch_term` returns."""

    language: str
    kind: str
    term: str
    is_pattern: bool
    note: str


def check_watch_term(
    *, language: object, kind: object, term: object, is_pattern: object, note: object = ""
) -> TermText:
    """The term's fields cleaned. Raises ``ActionError("invalid")`` for an unknown kind, a
    language that is not a language code ("en", "es", "pt-br"), markup, or a term the
    detector cannot read (see :func:`refdesk.safety.detector.term_words`), and
    ``ActionError("too_long")`` past the limits."""
    clean_language = clean_text(
        language, field="language", max_chars=LANGUAGE_MAX, required=True, multiline=False
    ).lower()
    if not _LANGUAGE.match(clean_language):
        raise ActionError(
            "invalid", "A language is a code such as en, es or pt-br.", field="language"
        )
    if kind not in TermKind.values:
        raise ActionError("invalid", f"A term's kind is not {kind!r}.", field="kind")
    clean_term = clean_text(term, field="term", max_chars=TERM_MAX, required=True, multiline=False)
    clean_note = clean_text(note, field="note", max_chars=NOTE_MAX, multiline=False)
    if _MARKUP.search(clean_term) or _MARKUP.search(clean_note):
        raise ActionError("invalid", "Leave out < and >: this is plain text.", field="term")
    pattern = bool(is_pattern)
    try:
        term_words(clean_term, is_pattern=pattern)
    except TermError as error:
        raise ActionError("invalid", str(error), field="term") from error
    return TermText(clean_language, str(kind), clean_term, pattern, clean_note)


def _term_fields(term: WatchTerm) -> dict[str, Any]:
    return {
        "language": term.language,
        "kind": term.kind,
        "term": term.term,
        "is_pattern": term.is_pattern,
        "active": term.active,
        "note": term.note,
    }


def _audit_term(actor: AbstractBaseUser | None, action: str, term: WatchTerm, changes: Any) -> None:
    do_record_audit(
        actor,
        action,
        target_type="watch_term",
        target_id=term.pk,
        target_repr=str(term),
        changes=changes,
    )
    transaction.on_commit(forget_terms)


def _unique(text: TermText, *, other_than: int | None = None) -> None:
    same = WatchTerm.objects.filter(language=text.language, kind=text.kind, term=text.term)
    if other_than is not None:
        same = same.exclude(pk=other_than)
    if same.exists():
        raise ActionError(
            "invalid", "This language already has this term of this kind.", field="term"
        )


def do_add_watch_term(
    text: TermText, *, active: bool = True, actor: AbstractBaseUser | None = None
) -> WatchTerm:
    """Add a term with checked ``text`` (:func:`check_watch_term`). Audits
    ``watch_term.add``; the detector rebuilds after the commit. Raises
    ``ActionError("invalid")`` when the language already has it."""
    with transaction.atomic():
        _unique(text)
        term = WatchTerm.objects.create(
            language=text.language,
            kind=text.kind,
            term=text.term,
            is_pattern=text.is_pattern,
            note=text.note,
            active=active,
            updated_at=timezone.now(),
        )
        _audit_term(actor, "watch_term.add", term, _term_fields(term))
    return term


def do_change_watch_term(
    term: WatchTerm, text: TermText, *, active: bool, actor: AbstractBaseUser | None = None
) -> WatchTerm:
    """Change a term. Writes and audits (``watch_term.change``, the fields that changed)
    only what changed; the detector rebuilds after the commit."""
    wanted: dict[str, Any] = {
        "language": text.language,
        "kind": text.kind,
        "term": text.term,
        "is_pattern": text.is_pattern,
        "note": text.note,
        "active": active,
    }
    with transaction.atomic():
        current = WatchTerm.objects.get(pk=term.pk)
        changes = {
            key: [getattr(current, key), value]
            for key, value in wanted.items()
            if getattr(current, key) != value
        }
        if not changes:
            return current
        _unique(text, other_than=current.pk)
        wanted["updated_at"] = timezone.now()
        WatchTerm.objects.filter(pk=current.pk).update(**wanted)
        for key, value in wanted.items():
            setattr(current, key, value)
        _audit_term(actor, "watch_term.change", current, changes)
    return current


def do_delete_watch_term(term: WatchTerm, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete a term. Audits ``watch_term.delete`` with its fields; the detector rebuilds
    after the commit."""
    with transaction.atomic():
        current = WatchTerm.objects.get(pk=term.pk)
        _audit_term(actor, "watch_term.delete", current, _term_fields(current))
        current.delete()


# ---------------------------------------------------------------------------
# Guidance
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GuidanceText:
    kind: str
    section: str
    text: str


def check_guidance(*, kind: object, section: object, text: object) -> GuidanceText:
    """A step's fields cleaned. Raises ``ActionError("invalid")`` for an unknown kind or
    section, or markup; ``ActionError("too_long")`` past 300 characters."""
    if kind not in GuidanceKind.values:
        raise ActionError("invalid", f"Guidance is not for {kind!r}.", field="kind")
    if section not in Section.values:
        raise ActionError("invalid", f"A section is not {section!r}.", field="section")
    clean = clean_text(text, field="text", max_chars=GUIDANCE_MAX, required=True, multiline=False)
    if _MARKUP.search(clean):
        raise ActionError("invalid", "Leave out < and >: this is plain text.", field="text")
    return GuidanceText(str(kind), str(section), clean)


def _guidance_changed(
    actor: AbstractBaseUser | None, action: str, step: Guidance, changes: Any
) -> None:
    do_record_audit(
        actor,
        action,
        target_type="guidance",
        target_id=step.pk,
        target_repr=f"{step.kind} / {step.section}: {step.text[:60]}",
        changes=changes,
    )
    send_event_on_commit([STAFF_GROUP], {"type": "safety.changed", "guidance": list_guidance()})


def do_add_guidance(
    text: GuidanceText, *, position: int = 0, actor: AbstractBaseUser | None = None
) -> Guidance:
    """Add a step. Audits ``guidance.add``; every console gets ``safety.changed``."""
    with transaction.atomic():
        step = Guidance.objects.create(
            kind=text.kind, section=text.section, text=text.text, position=position
        )
        _guidance_changed(
            actor,
            "guidance.add",
            step,
            {"kind": text.kind, "section": text.section, "text": text.text, "position": position},
        )
    return step


def do_change_guidance(
    step: Guidance, text: GuidanceText, *, position: int, actor: AbstractBaseUser | None = None
) -> Guidance:
    """Change a step. Audits ``guidance.change`` (what changed); every console gets
    ``safety.changed`` when anything did."""
    wanted: dict[str, Any] = {
        "kind": text.kind,
        "section": text.section,
        "text": text.text,
        "position": position,
    }
    with transaction.atomic():
        current = Guidance.objects.get(pk=step.pk)
        changes = {
            key: [getattr(current, key), value]
            for key, value in wanted.items()
            if getattr(current, key) != value
        }
        if not changes:
            return current
        Guidance.objects.filter(pk=current.pk).update(**wanted)
        for key, value in wanted.items():
            setattr(current, key, value)
        _guidance_changed(actor, "guidance.change", current, changes)
    return current


def do_delete_guidance(step: Guidance, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete a step. Audits ``guidance.delete``; every console gets ``safety.changed``."""
    with transaction.atomic():
        current = Guidance.objects.get(pk=step.pk)
        current.delete()
        _guidance_changed(
            actor,
            "guidance.delete",
            Guidance(pk=step.pk, kind=current.kind, section=current.section, text=current.text),
            {"kind": current.kind, "section": current.section, "text": current.text},
        )
