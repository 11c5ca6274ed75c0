"""The only writer of the safety app: blocks, incidents, the watched terms and the
panels' guidance.

Every block, lift, incident report, follow-up change and close writes an audit entry
(:func:`refdesk.core.actions.do_record_audit`) in its transaction. Audit entries name the
chat and the librarian, never a hash.

A change of the terms or the guidance also writes an audit entry; ``actor`` is the user
who made it (``None``: the command line). A change of the terms makes this process's
detector rebuild after the commit (other processes follow within
``detector.RELOAD_SECONDS``); a change of the guidance sends every console
``safety.changed`` after the commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats.actions import do_end_chats_of_blocked_patron
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import get_chat_for_staff
from refdesk.core.actions import do_change_fields, do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, SUPERVISORS_GROUP, send_event_on_commit
from refdesk.core.text import clean_text
from refdesk.intake.actions import do_limit_patron
from refdesk.safety.detector import TermError, forget_terms, term_words
from refdesk.safety.events import IncidentCreated
from refdesk.safety.models import (
    BLOCK_DAYS,
    GUIDANCE_MAX,
    LANGUAGE_MAX,
    NOTE_MAX,
    REASON_MAX,
    TERM_MAX,
    TEXT_MAX,
    Block,
    Guidance,
    GuidanceKind,
    Incident,
    IncidentKind,
    IncidentStatus,
    Section,
    TermKind,
    WatchTerm,
)
from refdesk.safety.selectors import incident_summary, is_patron_blocked, list_guidance

# What a blocked patron is told: neither that they are blocked nor why.
BLOCKED_MESSAGE = (
    "The chat service isn't available to you right now. You can still reach the library "
    "by phone, by email or at the desk."
)


def check_patron_may_chat(*, address: str, browser_id: object) -> None:
    """Raise ``ActionError("blocked")`` (403, a neutral message) when the patron's
    browser id or address has an active block."""
    if is_patron_blocked(address=address, browser_id=browser_id):
        raise ActionError("blocked", BLOCKED_MESSAGE)


def check_patron_status(*, address: str, browser_id: object) -> bool:
    """Whether the patron may start a chat, as far as blocks go: the ask page asks on load
    with its browser id, which the page's address alone cannot tell. Counted against the
    browser id and the address (``REFDESK_RATE_STATUS_*``; ``rate_limited`` past either);
    ``invalid`` for a browser id that is not text. The answer never says why."""
    if not isinstance(browser_id, str):
        raise ActionError("invalid", "The browser id must be text.", field="browser")
    limits = settings.REFDESK
    do_limit_patron(
        "status",
        browser_id=browser_id,
        address=address,
        per_browser=(limits["STATUS_CHECKS_PER_BROWSER"], limits["STATUS_CHECKS_BROWSER_WINDOW"]),
        per_address=(limits["STATUS_CHECKS_PER_ADDRESS"], limits["STATUS_CHECKS_ADDRESS_WINDOW"]),
        refusal="Too many requests from here",
    )
    return not is_patron_blocked(address=address, browser_id=browser_id)


# ---------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------


def _chat_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActionError("invalid", "A chat id is a number.", field="chat_id")
    return value


def check_block_patron(
    librarian: Librarian, *, chat_id: object, reason: object, days: object
) -> tuple[Block, list[int]]:
    """Block the patron of a chat that ``librarian`` holds (any chat, for a supervisor or
    an admin) for 1, 7 or 30 days. Raises ``invalid``/``too_long`` for the fields,
    ``not_found`` for no such chat, ``forbidden`` for a chat held by someone else or
    nobody, and ``invalid`` for a chat whose patron left nothing to block by (purged)."""
    clean_reason = clean_text(reason, field="reason", max_chars=REASON_MAX, required=True)
    if isinstance(days, bool) or not isinstance(days, int) or days not in BLOCK_DAYS:
        raise ActionError("invalid", "A block lasts 1, 7 or 30 days.", field="days")
    chat = get_chat_for_staff(_chat_id(chat_id))
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if chat.librarian_id != librarian.pk and not librarian.is_supervisor:
        raise ActionError(
            "forbidden",
            "Only the librarian on the chat, or a supervisor, can block its patron.",
            chat_id=chat.pk,
        )
    if not chat.ip_hash and not chat.browser_hash:
        raise ActionError("invalid", "Nothing is left of that patron to block by.", chat_id=chat.pk)
    return do_block_patron(chat, reason=clean_reason, days=days, acting_librarian=librarian)


def do_block_patron(
    chat: Chat, *, reason: str, days: int, acting_librarian: Librarian
) -> tuple[Block, list[int]]:
    """Block the chat's patron by its browser hash and address hash until ``days`` from
    now, and end the chat and the patron's other open chats (``blocked``; see
    :func:`refdesk.chats.actions.do_end_chats_of_blocked_patron` for what they send).
    Audits ``block.add``. Returns the block and the ids of the chats it ended."""
    now = timezone.now()
    with transaction.atomic():
        block = Block.objects.create(
            browser_hash=chat.browser_hash,
            ip_hash=chat.ip_hash,
            reason=reason,
            chat=chat,
            created_by=acting_librarian,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        do_record_audit(
            acting_librarian.user,
            "block.add",
            target_type="block",
            target_id=block.pk,
            target_repr=f"Block of the patron of chat {chat.pk}",
            changes={
                "chat": chat.pk,
                "reason": reason,
                "days": days,
                "expires_at": block.expires_at.isoformat(),
            },
        )
        ended = do_end_chats_of_blocked_patron(chat, acting_librarian=acting_librarian)
    return block, ended


def access_block(librarian: Librarian, block_id: int) -> Block:
    """The block ``block_id`` for a supervisor or an admin; ``forbidden`` for anyone
    else, ``not_found`` for none."""
    if not librarian.is_supervisor:
        raise ActionError("forbidden", "Only a supervisor or an admin can do that.")
    block = Block.objects.filter(pk=block_id).first()
    if block is None:
        raise ActionError("not_found", "There is no such block.")
    return block


def check_lift_block(librarian: Librarian, block_id: int, *, note: object) -> Block:
    """Lift a block, with a note (required), as a supervisor or an admin."""
    block = access_block(librarian, block_id)
    clean_note = clean_text(note, field="note", max_chars=NOTE_MAX, required=True)
    return do_lift_block(block, note=clean_note, acting_librarian=librarian)


def do_lift_block(block: Block, *, note: str, acting_librarian: Librarian) -> Block:
    """Lift an active block now; the patron may start chats again at once. A block lifted
    or expired already is refused with ``invalid`` and nothing changes. Audits
    ``block.lift`` with the note."""
    now = timezone.now()
    with transaction.atomic():
        lifted = Block.objects.filter(
            pk=block.pk, lifted_at__isnull=True, expires_at__gt=now
        ).update(lifted_at=now, lifted_by=acting_librarian, lift_note=note)
        if not lifted:
            raise ActionError("invalid", "That block is no longer active.")
        do_record_audit(
            acting_librarian.user,
            "block.lift",
            target_type="block",
            target_id=block.pk,
            target_repr=f"Block of the patron of chat {block.chat_id}",
            changes={"note": note},
        )
    block.refresh_from_db()
    return block


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentText:
    what_happened: str
    actions_taken: str
    follow_up: str


def _held(chat: Chat, librarian: Librarian) -> bool:
    """Whether the librarian holds the chat or held it once (claimed it, or wrote in it
    before a transfer)."""
    if chat.librarian_id == librarian.pk:
        return True
    return (
        ChatEvent.objects.filter(chat=chat, actor=librarian).exists()
        or Message.objects.filter(chat=chat, librarian=librarian).exists()
    )


def check_report_incident(
    librarian: Librarian,
    *,
    chat_id: object,
    kind: object,
    what_happened: object,
    actions_taken: object = "",
    follow_up: object = "",
) -> Incident:
    """Report an incident about a chat that ``librarian`` holds or held (any chat, for a
    supervisor or an admin). Raises ``invalid``/``too_long`` for the fields,
    ``not_found`` for no such chat and ``forbidden`` for someone else's chat."""
    if kind not in IncidentKind.values:
        raise ActionError(
            "invalid", "An incident is abuse, threat, crisis, spam or other.", field="kind"
        )
    text = IncidentText(
        clean_text(what_happened, field="what_happened", max_chars=TEXT_MAX, required=True),
        clean_text(actions_taken, field="actions_taken", max_chars=TEXT_MAX),
        clean_text(follow_up, field="follow_up", max_chars=TEXT_MAX),
    )
    chat = get_chat_for_staff(_chat_id(chat_id))
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if not librarian.is_supervisor and not _held(chat, librarian):
        raise ActionError(
            "forbidden",
            "Only a librarian who had the chat, or a supervisor, can report on it.",
            chat_id=chat.pk,
        )
    return do_report_incident(chat, kind=str(kind), text=text, acting_librarian=librarian)


def do_report_incident(
    chat: Chat, *, kind: str, text: IncidentText, acting_librarian: Librarian
) -> Incident:
    """Record an open incident about ``chat`` in its campus. Audits ``incident.report``;
    broadcasts ``incident.created`` to the supervisors' group."""
    with transaction.atomic():
        incident = Incident.objects.create(
            chat=chat,
            campus=chat.campus,
            kind=kind,
            what_happened=text.what_happened,
            actions_taken=text.actions_taken,
            follow_up=text.follow_up,
            reported_by=acting_librarian,
            created_at=timezone.now(),
        )
        do_record_audit(
            acting_librarian.user,
            "incident.report",
            target_type="incident",
            target_id=incident.pk,
            target_repr=f"Incident {incident.pk} ({kind}, chat {chat.pk})",
            changes={"chat": chat.pk, "kind": kind, "campus": chat.campus.slug},
        )
        send_event_on_commit(
            [SUPERVISORS_GROUP],
            IncidentCreated(type="incident.created", incident=incident_summary(incident)),
        )
    return incident


def access_incident(librarian: Librarian, incident_id: int) -> Incident:
    """The incident for a supervisor or an admin; ``forbidden`` for anyone else,
    ``not_found`` for none."""
    if not librarian.is_supervisor:
        raise ActionError("forbidden", "Only a supervisor or an admin can do that.")
    incident = Incident.objects.select_related("campus").filter(pk=incident_id).first()
    if incident is None:
        raise ActionError("not_found", "There is no such incident.")
    return incident


def check_change_follow_up(
    librarian: Librarian, incident_id: int, *, follow_up: object
) -> Incident:
    """Change an incident's follow-up, as a supervisor or an admin."""
    incident = access_incident(librarian, incident_id)
    text = clean_text(follow_up, field="follow_up", max_chars=TEXT_MAX)
    return do_change_follow_up(incident, follow_up=text, acting_librarian=librarian)


def do_change_follow_up(
    incident: Incident, *, follow_up: str, acting_librarian: Librarian
) -> Incident:
    """Store the new follow-up; audits ``incident.follow_up`` with the old and new text
    when it changed."""
    with transaction.atomic():
        old = Incident.objects.values_list("follow_up", flat=True).get(pk=incident.pk)
        if old == follow_up:
            return incident
        Incident.objects.filter(pk=incident.pk).update(follow_up=follow_up)
        do_record_audit(
            acting_librarian.user,
            "incident.follow_up",
            target_type="incident",
            target_id=incident.pk,
            target_repr=f"Incident {incident.pk} ({incident.kind})",
            changes={"follow_up": [old, follow_up]},
        )
    incident.follow_up = follow_up
    return incident


def check_close_incident(librarian: Librarian, incident_id: int, *, note: object) -> Incident:
    """Close an open incident with a note (required), as a supervisor or an admin."""
    incident = access_incident(librarian, incident_id)
    clean_note = clean_text(note, field="note", max_chars=NOTE_MAX, required=True)
    return do_close_incident(incident, note=clean_note, acting_librarian=librarian)


def do_close_incident(incident: Incident, *, note: str, acting_librarian: Librarian) -> Incident:
    """Close the incident once (a conditional update; an incident closed already is
    refused with ``invalid``). Audits ``incident.close`` with the note."""
    now = timezone.now()
    with transaction.atomic():
        closed = Incident.objects.filter(pk=incident.pk, status=IncidentStatus.OPEN).update(
            status=IncidentStatus.CLOSED, closed_at=now, closed_by=acting_librarian, close_note=note
        )
        if not closed:
            raise ActionError("invalid", "That incident is closed already.")
        do_record_audit(
            acting_librarian.user,
            "incident.close",
            target_type="incident",
            target_id=incident.pk,
            target_repr=f"Incident {incident.pk} ({incident.kind})",
            changes={"note": note},
        )
    incident.refresh_from_db()
    return incident


# ---------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------


def do_purge_old_blocks(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Delete blocks that expired or were lifted over ``RETENTION_DAYS`` ago (their hashes
    and reason with them); one batch, returns how many."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_DAYS"])
    with transaction.atomic():
        ids = list(
            Block.objects.filter(Q(expires_at__lt=cutoff) | Q(lifted_at__lt=cutoff)).values_list(
                "pk", flat=True
            )[:batch]
        )
        deleted, _ = Block.objects.filter(pk__in=ids).delete()
    return deleted


def do_purge_closed_incidents(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Blank the text (what happened, actions taken, follow-up, close note) of incidents
    closed over ``RETENTION_DAYS`` ago, keeping kind, campus and times for the statistics;
    one batch, returns how many."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_DAYS"])
    with transaction.atomic():
        ids = list(
            Incident.objects.filter(
                status=IncidentStatus.CLOSED, closed_at__lt=cutoff, purged_at__isnull=True
            ).values_list("pk", flat=True)[:batch]
        )
        return Incident.objects.filter(pk__in=ids).update(
            what_happened="", actions_taken="", follow_up="", close_note="", purged_at=moment
        )


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
        changes = do_change_fields(current, wanted)
        if not changes:
            return current
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
