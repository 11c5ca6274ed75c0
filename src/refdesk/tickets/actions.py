"""The only writer of tickets and ticket events.

Each ``do_*`` writes in one transaction, records a ``TicketEvent`` for every state change
and publishes its events after the commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_by_slug
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit
from refdesk.core.text import clean_text, strip_query
from refdesk.intake.actions import clean_name_and_question, do_limit_patron, hash_address
from refdesk.tickets.events import TicketCreated, TicketStateName, TicketUpdated
from refdesk.tickets.models import Ticket, TicketEvent, TicketSource, TicketState
from refdesk.tickets.selectors import ticket_summary

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
) -> Ticket:
    """File a new ticket in the campus's queue.

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
            created_at=timezone.now(),
        )
        event = TicketCreated(type="ticket.created", ticket=ticket_summary(ticket))
        _record_event(ticket, event)
        send_event_on_commit([STAFF_GROUP], event)
    return ticket


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
                ticket = Ticket.objects.select_related("campus").get(pk=ticket_id)
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

    Blanks the patron's name, email, question, page and hashed address, and the details
    in the ticket's events. Keeps the anonymous facts the statistics use: campus, source,
    state and times. Idempotent; works in batches of ``batch``, at most ``rounds`` of them
    (all, by default), so that a long backlog never holds the writer long. Returns how
    many tickets it purged.
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
                purged_at=moment,
            )
            TicketEvent.objects.filter(ticket_id__in=ids).update(data={})
    return purged
