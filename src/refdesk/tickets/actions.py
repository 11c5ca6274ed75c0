"""The only writer of tickets and ticket events.

Each ``do_*`` writes in one transaction, records a ``TicketEvent`` for every state change
and publishes its events after the commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_by_slug
from refdesk.chats import actions as chat_actions
from refdesk.chats.access import access_chat
from refdesk.chats.models import Chat, ChatState, EndReason
from refdesk.chats.selectors import get_chat_for_staff, list_message_payloads
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit
from refdesk.core.text import clean_text, strip_query
from refdesk.intake.actions import clean_name_and_question, do_limit_patron, hash_address
from refdesk.tickets.emails import reply_email, transcript_email
from refdesk.tickets.events import TicketCreated, TicketStateName, TicketUpdated
from refdesk.tickets.models import (
    EntryKind,
    SendState,
    Ticket,
    TicketEntry,
    TicketEvent,
    TicketSource,
    TicketState,
)
from refdesk.tickets.selectors import get_ticket, hash_link_token, ticket_summary

logger = logging.getLogger(__name__)

# A mail server that neither answers nor refuses gives up after this long.
EMAIL_TIMEOUT_SECONDS = 20

_EMAIL = EmailValidator()


def _record_event(
    ticket: Ticket, event: Mapping[str, Any], *, actor: Librarian | None = None
) -> None:
    """Write the ``TicketEvent`` row of a staff event, in the caller's transaction."""
    data = {key: value for key, value in event.items() if key != "type"}
    TicketEvent.objects.create(
        ticket=ticket, type=event["type"], actor=actor, data=data, created_at=timezone.now()
    )


# ---------------------------------------------------------------------------
# Filing a ticket
# ---------------------------------------------------------------------------


def check_create_ticket(
    *,
    campus_slug: object,
    name: object,
    email: object,
    question: object,
    page_url: object = "",
    address: str = "",
    browser_id: object = "",
) -> Ticket:
    """Validate a patron's offline form and file the ticket in the campus's queue.

    The rules are the pre-chat form's, except that the email is required (the answer goes
    there): the name is optional, and a question typed into the name box becomes the
    question. Raises ``ActionError`` with ``unknown_campus``, ``invalid``, ``too_long`` or
    ``rate_limited`` (with ``retry_after``) and stores nothing then. Only a valid form
    counts against the rate limits.
    """
    campus = get_campus_by_slug(campus_slug) if isinstance(campus_slug, str) else None
    if campus is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    limits = settings.REFDESK
    clean_name, clean_question, _ = clean_name_and_question(name, question)
    clean_mail = _clean_required_email(email)
    _limit_new_tickets(address=address, browser_id=browser_id)
    return do_create_ticket(
        campus,
        patron_name=clean_name,
        patron_email=clean_mail,
        question=clean_question,
        page_url=strip_query(page_url, max_chars=limits["MAX_URL_CHARS"]),
        ip_hash=hash_address(address),
    )


def _clean_required_email(value: object) -> str:
    max_chars = settings.REFDESK["MAX_EMAIL_CHARS"]
    text = clean_text(value, field="email", max_chars=max_chars, multiline=False)
    if not text:
        raise ActionError(
            "invalid", "Please give your email address, so that we can answer you.", field="email"
        )
    try:
        _EMAIL(text)
    except ValidationError as exc:
        raise ActionError(
            "invalid", "That email address does not look right.", field="email"
        ) from exc
    return text


def _limit_new_tickets(*, address: str, browser_id: object) -> None:
    limits = settings.REFDESK
    do_limit_patron(
        "ticket",
        browser_id=browser_id,
        address=address,
        per_browser=(limits["NEW_TICKETS_PER_BROWSER"], limits["NEW_TICKETS_BROWSER_WINDOW"]),
        per_address=(limits["NEW_TICKETS_PER_ADDRESS"], limits["NEW_TICKETS_ADDRESS_WINDOW"]),
        refusal="Too many questions sent from here",
    )


def do_create_ticket(
    campus: Campus,
    *,
    patron_name: str,
    patron_email: str,
    question: str,
    page_url: str = "",
    ip_hash: str = "",
    source: TicketSource = TicketSource.FORM,
    chat: Chat | None = None,
) -> Ticket:
    """File a new ticket in the campus's queue (from ``chat``, when given: its transcript
    is read from the chat's messages whenever the ticket is shown, not copied).

    Expects cleaned text. Writes a ``ticket.created`` ``TicketEvent`` and broadcasts
    ``ticket.created`` to the staff group after the commit.
    """
    with transaction.atomic():
        ticket = Ticket.objects.create(
            campus=campus,
            state=TicketState.NEW,
            source=source,
            patron_name=patron_name,
            patron_email=patron_email,
            question=question,
            page_url=page_url,
            ip_hash=ip_hash,
            chat=chat,
            created_at=timezone.now(),
        )
        event = TicketCreated(type="ticket.created", ticket=ticket_summary(ticket))
        _record_event(ticket, event)
        send_event_on_commit([STAFF_GROUP], event)
    return ticket


# ---------------------------------------------------------------------------
# From a chat to a ticket
# ---------------------------------------------------------------------------


def _ticketed_line(email: str) -> str:
    return f"Thanks. Your question will be answered by email at {email}."


def check_ticket_chat_by_librarian(
    chat_id: int, *, acting_librarian: Librarian, email: object = None
) -> Ticket:
    """``chat.ticket``: the librarian holding a chat (or a supervisor) makes it a ticket.

    The email is the frame's, when given (validated), else the one on the chat; with
    neither, ``email_required`` (the console asks the patron for one). Then
    :func:`do_ticket_chat`, conditional on the holder the check saw.
    """
    given = chat_actions.clean_patron_email(email) if email not in (None, "") else ""
    chat = access_chat(acting_librarian, chat_id, for_="end")
    address = given or chat.patron_email
    if not address:
        raise ActionError(
            "email_required",
            "The chat has no email address yet: ask the patron for one first.",
            chat_id=chat_id,
            field="email",
        )
    return do_ticket_chat(chat.pk, email=address, acting_librarian=acting_librarian)


def check_ticket_chat_by_patron(chat_id: int, *, email: object) -> Ticket:
    """``chat.to_ticket``: the waiting patron accepts the offer of a ticket."""
    address = chat_actions.clean_patron_email(email)
    return do_ticket_chat(chat_id, email=address, by_patron=True)


def do_ticket_chat(
    chat_id: int,
    *,
    email: str,
    acting_librarian: Librarian | None = None,
    by_patron: bool = False,
) -> Ticket:
    """End a chat ``ticketed`` and file it as a ticket in its campus's queue, in one
    transaction.

    The end is a conditional update: the chat must still be open; when a librarian does it,
    held by them (a supervisor may ticket anyone's chat); when the patron does it, still
    waiting. Stores ``email`` on the chat, and the patron's line says where the answer goes.
    Sends what the end sends (``chat.ended``, reason ``ticketed``) and then
    ``ticket.created`` to the staff group. Raises ``not_found``, ``chat_ended``,
    ``not_yours`` or ``already_claimed``; nothing changes then.
    """
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    holder = None
    if acting_librarian is not None and (
        chat.librarian_id == acting_librarian.pk or not acting_librarian.is_supervisor
    ):
        holder = acting_librarian.pk
    with transaction.atomic():
        ended = chat_actions.do_end_chat(
            chat,
            reason=EndReason.TICKETED,
            acting_librarian=acting_librarian,
            holder=holder,
            only_if_waiting=by_patron,
            patron_email=email,
            line=_ticketed_line(email),
        )
        return do_create_ticket(
            ended.campus,
            patron_name=ended.patron_name,
            patron_email=email,
            question=ended.question,
            page_url=ended.page_url,
            ip_hash=ended.ip_hash,
            source=TicketSource.CHAT,
            chat=ended,
        )


def do_ticket_unanswered_chat(chat_id: int) -> Ticket | None:
    """A chat nobody claimed for ``UNANSWERED_MINUTES``: conditional on it still waiting,
    it ends ``ticketed`` and becomes a ticket when the patron gave an email (see
    :func:`do_ticket_chat`), and ends ``unanswered`` otherwise. Returns the ticket, or
    None. A chat claimed or ended meanwhile is left as it is (None); idempotent.
    """
    chat = get_chat_for_staff(chat_id)
    if chat is None or chat.state != ChatState.WAITING:
        return None
    try:
        if chat.patron_email:
            return do_ticket_chat(chat_id, email=chat.patron_email, by_patron=True)
        chat_actions.do_end_chat(chat, reason=EndReason.UNANSWERED, only_if_waiting=True)
    except ActionError:
        return None  # claimed or ended meanwhile: the other outcome stands
    return None


def do_close_unanswered_chats(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Each chat still waiting ``UNANSWERED_MINUTES`` after it began to wait (a transfer
    back to a queue starts the wait again) goes as :func:`do_ticket_unanswered_chat` says:
    a ticket when the patron gave an email, else ended ``unanswered``. Returns how many
    were due; each is settled once, whichever process gets there first."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(minutes=settings.REFDESK["UNANSWERED_MINUTES"])
    due = list(
        Chat.objects.filter(state=ChatState.WAITING, waiting_since__lte=cutoff)
        .order_by("waiting_since", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for chat_id in due:
        do_ticket_unanswered_chat(chat_id)
    return len(due)


def check_send_transcript(chat_id: int, *, email: object, browser_id: object = "") -> str:
    """``transcript.request``: email the chat's transcript to ``email``. Counted against
    the new-ticket limits of the chat (a flood of addresses is refused with
    ``rate_limited``). Returns the address. Sends nothing to any socket; stores nothing
    but the rate counter."""
    address = chat_actions.clean_patron_email(email)
    limits = settings.REFDESK
    do_limit_patron(
        "transcript",
        browser_id=browser_id,
        address=f"chat-{chat_id}",
        per_browser=(limits["NEW_TICKETS_PER_BROWSER"], limits["NEW_TICKETS_BROWSER_WINDOW"]),
        per_address=(limits["NEW_TICKETS_PER_BROWSER"], limits["NEW_TICKETS_BROWSER_WINDOW"]),
        refusal="Too many transcripts asked for from this chat",
    )
    return address


def build_transcript_email(chat_id: int, *, email: str) -> EmailMultiAlternatives:
    """The transcript email of a chat (its messages as stored)."""
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "This chat no longer exists.")
    messages = list_message_payloads([chat_id]).get(chat_id, [])
    return transcript_email(email, campus_name=chat.campus.name, messages=messages)


def send_email(message: EmailMultiAlternatives) -> str:
    """Send one email through the configured backend; "" when it went, else why not.

    Touches no database, so that a slow mail server holds no lane.
    """
    try:
        with get_connection(timeout=EMAIL_TIMEOUT_SECONDS) as mail:
            mail.send_messages([message])
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        logger.warning("email not sent: %s", type(exc).__name__)
        return f"{type(exc).__name__}: {exc}"[:200]
    return ""


# ---------------------------------------------------------------------------
# The ticket workspace
# ---------------------------------------------------------------------------


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = get_ticket(ticket_id)
    if ticket is None:
        raise ActionError("not_found", "There is no such ticket.", ticket_id=ticket_id)
    return ticket


def _updated(
    ticket_id: int,
    previous: str,
    *,
    actor: Librarian | None,
    change: dict[str, Any],
) -> Ticket:
    """Read the ticket back, write its ``ticket.updated`` ``TicketEvent`` (with ``change``
    in its data) and broadcast ``ticket.updated`` after the commit. In the caller's
    transaction."""
    ticket = _ticket_or_404(ticket_id)
    event = TicketUpdated(
        type="ticket.updated",
        ticket=ticket_summary(ticket),
        previous_state=cast(TicketStateName, previous),
    )
    _record_event(ticket, {**event, **change}, actor=actor)
    send_event_on_commit([STAFF_GROUP], event)
    return ticket


_OPEN_IF_NEW = Case(When(state=TicketState.NEW, then=Value(TicketState.OPEN)), default=F("state"))


def do_claim_ticket(ticket_id: int, *, acting_librarian: Librarian) -> Ticket:
    """Take a ticket nobody owns; a new one becomes open. Exactly one of any number of
    concurrent claims wins (``UPDATE … WHERE owner_id IS NULL``); the others get
    ``already_claimed`` with who has it. Claiming one's own ticket again is a no-op
    answer. Broadcasts ``ticket.updated``.
    """
    with transaction.atomic():
        previous = _ticket_or_404(ticket_id)
        won = Ticket.objects.filter(pk=ticket_id, owner__isnull=True).update(
            owner=acting_librarian, state=_OPEN_IF_NEW, updated_at=timezone.now()
        )
        if not won:
            current = _ticket_or_404(ticket_id)
            if current.owner_id == acting_librarian.pk:
                return current
            by = current.owner.display_name if current.owner else None
            raise ActionError(
                "already_claimed",
                f"{by} has that ticket." if by else "Someone else has that ticket.",
                ticket_id=ticket_id,
                by=by,
                by_id=current.owner_id,
            )
        return _updated(ticket_id, previous.state, actor=acting_librarian, change={"claimed": True})


def check_assign_ticket(
    ticket_id: int, *, to_librarian: int, acting_librarian: Librarian
) -> Ticket:
    """Give a ticket to a librarian (anyone may hand a ticket on); a new one becomes open.
    ``not_found`` (``field: "to_librarian"``) for no such active librarian."""
    target = (
        Librarian.objects.filter(pk=to_librarian, user__is_active=True)
        .select_related("user")
        .first()
    )
    if target is None:
        raise ActionError("not_found", "There is no such librarian.", field="to_librarian")
    with transaction.atomic():
        previous = _ticket_or_404(ticket_id)
        Ticket.objects.filter(pk=ticket_id).update(
            owner=target, state=_OPEN_IF_NEW, updated_at=timezone.now()
        )
        return _updated(
            ticket_id,
            previous.state,
            actor=acting_librarian,
            change={"assigned_to": target.pk},
        )


def do_unassign_tickets_of(librarian_id: int) -> int:
    """The librarian's account was deactivated (:func:`accounts.actions.do_update_librarian`
    runs this in its transaction): each ticket they own that is not closed stays in its
    queue with no owner. Each is one conditional update (``… WHERE owner_id = librarian AND
    state = <the state it was read in>``),
    writes its ``ticket.updated`` ``TicketEvent`` (``unassigned_from`` the librarian,
    ``reason: "deactivated"``) and broadcasts ``ticket.updated`` to every console. Closed
    tickets keep their owner, as the history of who answered. Returns how many."""
    owned = list(
        Ticket.objects.filter(owner_id=librarian_id)
        .exclude(state=TicketState.CLOSED)
        .order_by("pk")
        .values_list("pk", "state")
    )
    unassigned = 0
    for ticket_id, previous in owned:
        changed = Ticket.objects.filter(pk=ticket_id, owner_id=librarian_id, state=previous).update(
            owner=None, updated_at=timezone.now()
        )
        if changed:
            _updated(
                ticket_id,
                previous,
                actor=None,
                change={"unassigned_from": librarian_id, "reason": "deactivated"},
            )
            unassigned += 1
    return unassigned


def check_move_ticket(ticket_id: int, *, campus: object, acting_librarian: Librarian) -> Ticket:
    """Move a ticket to another campus's queue (``unknown_campus`` for no such campus)."""
    target = get_campus_by_slug(campus) if isinstance(campus, str) else None
    if target is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    with transaction.atomic():
        previous = _ticket_or_404(ticket_id)
        Ticket.objects.filter(pk=ticket_id).update(campus=target, updated_at=timezone.now())
        return _updated(
            ticket_id, previous.state, actor=acting_librarian, change={"moved_to": target.slug}
        )


def check_set_ticket_state(ticket_id: int, *, state: object, acting_librarian: Librarian) -> Ticket:
    """Set a ticket ``pending`` (waiting for the patron) or ``closed``. ``invalid`` for
    any other state. A patron's answer opens it again."""
    if state not in (TicketState.PENDING, TicketState.CLOSED):
        raise ActionError("invalid", "state must be pending or closed.", field="state")
    now = timezone.now()
    with transaction.atomic():
        previous = _ticket_or_404(ticket_id)
        Ticket.objects.filter(pk=ticket_id).update(
            state=state,
            updated_at=now,
            closed_at=now if state == TicketState.CLOSED else None,
        )
        return _updated(ticket_id, previous.state, actor=acting_librarian, change={})


def clean_entry_body(body: object) -> str:
    """A reply, a note or a patron's answer: plain text, 1 to ``MAX_MESSAGE_CHARS``."""
    return clean_text(
        body, field="body", max_chars=settings.REFDESK["MAX_MESSAGE_CHARS"], required=True
    )


def check_add_note(ticket_id: int, *, acting_librarian: Librarian, body: object) -> Ticket:
    """An internal note on a ticket: stored in the thread, never shown or sent to the
    patron. Broadcasts ``ticket.updated``."""
    text = clean_entry_body(body)
    now = timezone.now()
    with transaction.atomic():
        previous = _ticket_or_404(ticket_id)
        TicketEntry.objects.create(
            ticket=previous,
            kind=EntryKind.NOTE,
            author=acting_librarian,
            author_name=acting_librarian.display_name,
            body=text,
            created_at=now,
        )
        Ticket.objects.filter(pk=ticket_id).update(updated_at=now)
        return _updated(ticket_id, previous.state, actor=acting_librarian, change={"note": True})


def check_reply_ticket(
    ticket_id: int, *, acting_librarian: Librarian, client_id: object, body: object
) -> tuple[Ticket, TicketEntry]:
    """A reply to the patron: stored first as ``unsent`` (due now), the ticket set
    ``pending`` and owned by the replier when nobody owned it; ``ticket.updated`` is
    broadcast. The email goes out with :func:`do_send_reply`, now or from the retry job.
    A resend with the same ``client_id`` is stored once and answered with the stored
    entry. ``not_found`` for a purged ticket or one without an address."""
    text = clean_entry_body(body)
    client = chat_actions.clean_client_id(client_id) or None
    now = timezone.now()
    try:
        with transaction.atomic():
            previous = _ticket_or_404(ticket_id)
            if previous.purged_at is not None or not previous.patron_email:
                raise ActionError(
                    "not_found", "That ticket has no address to answer.", ticket_id=ticket_id
                )
            entry = TicketEntry.objects.create(
                ticket=previous,
                kind=EntryKind.REPLY,
                author=acting_librarian,
                author_name=acting_librarian.display_name,
                body=text,
                client_id=client,
                created_at=now,
                send_state=SendState.UNSENT,
                next_attempt_at=now,
            )
            Ticket.objects.filter(pk=ticket_id).update(
                state=TicketState.PENDING, updated_at=now, closed_at=None
            )
            Ticket.objects.filter(pk=ticket_id, owner__isnull=True).update(owner=acting_librarian)
            ticket = _updated(
                ticket_id, previous.state, actor=acting_librarian, change={"reply": entry.pk}
            )
    except IntegrityError:
        entry = TicketEntry.objects.get(ticket_id=ticket_id, client_id=client)
        return _ticket_or_404(ticket_id), entry
    return ticket, entry


# A reply that could not be sent is tried again after 30 s, 1, 2, 4 … minutes, at most
# hourly, for as long as it takes: nothing is dropped.
_FIRST_RETRY_SECONDS = 30
_LONGEST_RETRY_SECONDS = 3600


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its ``attempts``-th attempt a reply is tried again."""
    seconds = _FIRST_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 12))
    return dt.timedelta(seconds=min(seconds, _LONGEST_RETRY_SECONDS))


@dataclass(frozen=True)
class PreparedReply:
    """A reply taken for one attempt: its email, and the link token it carries (only
    its hash is stored, once the email went)."""

    entry_id: int
    ticket_id: int
    attempt: int
    token: str
    message: EmailMultiAlternatives


def do_take_reply_attempt(entry_id: int, *, now: dt.datetime | None = None) -> PreparedReply | None:
    """Take one attempt at sending an unsent reply that is due, or None (sent, not due,
    or another process took this attempt). The attempt is taken by a conditional update
    of ``send_attempts`` that also sets the next attempt's time, so two processes never
    send one attempt twice, and a crash mid-send leaves the reply due again later.

    Each email carries a fresh link token; the ticket keeps only the hash of the newest
    one that went out (:func:`do_record_reply_attempt`).
    """
    moment = now or timezone.now()
    entry = (
        TicketEntry.objects.select_related("ticket__campus")
        .filter(pk=entry_id, kind=EntryKind.REPLY, send_state=SendState.UNSENT)
        .first()
    )
    if entry is None or (entry.next_attempt_at and entry.next_attempt_at > moment):
        return None
    attempt = entry.send_attempts + 1
    taken = TicketEntry.objects.filter(
        pk=entry_id, send_state=SendState.UNSENT, send_attempts=entry.send_attempts
    ).update(send_attempts=attempt, next_attempt_at=moment + retry_delay(attempt))
    if not taken:
        return None
    token = secrets.token_urlsafe(32)
    return PreparedReply(
        entry_id, entry.ticket_id, attempt, token, reply_email(entry.ticket, entry, token)
    )


def do_record_reply_attempt(prepared: PreparedReply, *, error: str) -> None:
    """Record how an attempt went: ``sent`` (and the ticket's link now opens with this
    email's token), or the error, kept for the librarian, with the reply still
    ``unsent`` and due at the time the attempt set. Broadcasts ``ticket.updated``."""
    now = timezone.now()
    with transaction.atomic():
        ticket = _ticket_or_404(prepared.ticket_id)
        if error:
            TicketEntry.objects.filter(pk=prepared.entry_id, send_state=SendState.UNSENT).update(
                last_error=error
            )
        else:
            TicketEntry.objects.filter(pk=prepared.entry_id).update(
                send_state=SendState.SENT, sent_at=now, last_error="", next_attempt_at=None
            )
            Ticket.objects.filter(pk=prepared.ticket_id, purged_at__isnull=True).update(
                token_hash=hash_link_token(prepared.token)
            )
        _updated(
            prepared.ticket_id,
            ticket.state,
            actor=None,
            change={"reply": prepared.entry_id, "sent": not error, "attempt": prepared.attempt},
        )


def do_send_reply(entry_id: int, *, now: dt.datetime | None = None) -> bool | None:
    """One attempt at emailing a reply, from sync code (the tests, a command): True when
    it went, False when it failed (kept, retried later), None when no attempt was due."""
    prepared = do_take_reply_attempt(entry_id, now=now)
    if prepared is None:
        return None
    error = send_email(prepared.message)
    do_record_reply_attempt(prepared, error=error)
    return not error


def list_due_replies(*, now: dt.datetime | None = None, limit: int = 20) -> list[int]:
    """The ids of unsent replies whose next attempt is due, oldest first."""
    return list(
        TicketEntry.objects.filter(
            send_state=SendState.UNSENT, next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# ---------------------------------------------------------------------------
# The patron's side
# ---------------------------------------------------------------------------


def check_patron_answer(
    ticket: Ticket, *, body: object, address: str = "", browser_id: object = ""
) -> TicketEntry:
    """The patron's answer from their ticket's page: stored in the thread, and the ticket
    opens again (whatever its state). Rate-limited as new tickets are. Broadcasts
    ``ticket.updated``."""
    text = clean_entry_body(body)
    _limit_new_tickets(address=address, browser_id=browser_id)
    now = timezone.now()
    with transaction.atomic():
        previous = _ticket_or_404(ticket.pk)
        entry = TicketEntry.objects.create(
            ticket=previous,
            kind=EntryKind.PATRON,
            author_name=previous.patron_name,
            body=text,
            created_at=now,
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            state=TicketState.OPEN, updated_at=now, closed_at=None
        )
        _updated(ticket.pk, previous.state, actor=None, change={"patron_answer": entry.pk})
    return entry


# ---------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------


def do_close_abandoned_tickets(
    *, now: dt.datetime | None = None, batch: int = 100, rounds: int | None = None
) -> int:
    """Close the tickets filed over ``RETENTION_OPEN_DAYS`` ago that nobody closed, so
    that the purge can take them.

    One conditional update per ticket (``WHERE state = <the state it was read in>``); each
    writes a
    ``ticket.updated`` ``TicketEvent`` (with ``reason: "retention"``) and broadcasts
    ``ticket.updated`` to the staff group after the commit. At most ``rounds`` batches
    (all, by default). Returns how many it closed; idempotent.
    """
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_OPEN_DAYS"])
    closed = 0
    for _round in itertools.count() if rounds is None else range(rounds):
        stale = list(
            Ticket.objects.filter(created_at__lt=cutoff)
            .exclude(state=TicketState.CLOSED)
            .values_list("pk", "state")[:batch]
        )
        if not stale:
            break
        for ticket_id, previous in stale:
            with transaction.atomic():
                changed = Ticket.objects.filter(pk=ticket_id, state=previous).update(
                    state=TicketState.CLOSED, closed_at=moment
                )
                if not changed:
                    continue  # it moved on meanwhile: the next round sees it as it is now
                ticket = Ticket.objects.select_related("campus", "owner").get(pk=ticket_id)
                event = TicketUpdated(
                    type="ticket.updated",
                    ticket=ticket_summary(ticket),
                    previous_state=cast(TicketStateName, previous),
                )
                _record_event(ticket, {**event, "reason": "retention"})
                send_event_on_commit([STAFF_GROUP], event)
                closed += 1
    return closed


def do_purge_expired_tickets(
    *, now: dt.datetime | None = None, batch: int = 500, rounds: int | None = None
) -> int:
    """Remove what identifies patrons from tickets closed over the retention period ago,
    and from tickets filed over ``RETENTION_OPEN_DAYS`` ago that were never closed (which
    it closes first, see :func:`do_close_abandoned_tickets`).

    Blanks the patron's name, email, question, page and hashed address, the details in
    the ticket's events, and every entry of its thread; the link token stops opening it.
    Keeps the anonymous facts the statistics use: campus, source, state and times.
    Idempotent; works in batches of ``batch``, at most ``rounds`` of them (all, by
    default), so that a long backlog never holds the writer long. Returns how many
    tickets it purged.
    """
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_DAYS"])
    filed_before = moment - dt.timedelta(days=settings.REFDESK["RETENTION_OPEN_DAYS"])
    do_close_abandoned_tickets(now=moment, rounds=rounds)
    purged = 0
    for _round in itertools.count() if rounds is None else range(rounds):
        with transaction.atomic():
            ids = list(
                Ticket.objects.filter(
                    Q(closed_at__lt=cutoff) | Q(created_at__lt=filed_before),
                    state=TicketState.CLOSED,
                    purged_at__isnull=True,
                ).values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return purged
            purged += Ticket.objects.filter(pk__in=ids, purged_at__isnull=True).update(
                patron_name="",
                patron_email="",
                question="",
                page_url="",
                ip_hash="",
                token_hash=None,
                purged_at=moment,
            )
            TicketEvent.objects.filter(ticket_id__in=ids).update(data={})
            # The thread is the patron's words and the answers about them: blanked, and an
            # unsent reply is never sent after the purge.
            TicketEntry.objects.filter(ticket_id__in=ids).update(
                body="",
                author_name="",
                client_id=None,
                last_error="",
                send_state=Case(
                    When(send_state=SendState.UNSENT, then=Value(SendState.NONE)),
                    default=F("send_state"),
                ),
                next_attempt_at=None,
            )
    return purged
