"""Reads about tickets, and the payload that describes one on the wire."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import cast

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from refdesk.chats.selectors import list_message_payloads
from refdesk.tickets.events import (
    EntryKindName,
    PatronTicketEntry,
    PatronTicketView,
    SendStateName,
    TicketEntryPayload,
    TicketStateName,
    TicketSummary,
    TicketWithThread,
)
from refdesk.tickets.models import EntryKind, Ticket, TicketEntry, TicketState

TicketPosition = tuple[dt.datetime, int]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def hash_link_token(token: str) -> str:
    """The stored form of a patron's ticket link token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def ticket_summary(ticket: Ticket) -> TicketSummary:
    """A ticket as the console lists it. Expects ``campus`` and ``owner`` to be loaded or
    cheap to load."""
    owner = ticket.owner
    return TicketSummary(
        id=ticket.pk,
        state=cast(TicketStateName, ticket.state),
        campus=ticket.campus.slug,
        campus_name=ticket.campus.name,
        name=ticket.patron_name,
        email=ticket.patron_email,
        question=ticket.question,
        created_at=ticket.created_at.isoformat(),
        source="chat" if ticket.source == "chat" else "form",
        chat_id=ticket.chat_id,
        owner=owner.display_name if owner else None,
        owner_id=owner.pk if owner else None,
        updated_at=_iso(ticket.updated_at),
        closed_at=_iso(ticket.closed_at),
    )


def entry_payload(entry: TicketEntry) -> TicketEntryPayload:
    """One entry of a ticket's thread as the console sees it."""
    return TicketEntryPayload(
        id=entry.pk,
        kind=cast(EntryKindName, entry.kind),
        author_name=entry.author_name,
        body=entry.body,
        client_id=entry.client_id or "",
        created_at=entry.created_at.isoformat(),
        send_state=cast(SendStateName, entry.send_state),
        send_attempts=entry.send_attempts,
        sent_at=_iso(entry.sent_at),
        last_error=entry.last_error,
    )


def get_ticket(ticket_id: int) -> Ticket | None:
    """The ticket with its campus and owner, or None."""
    return Ticket.objects.select_related("campus", "owner").filter(pk=ticket_id).first()


def get_ticket_by_token(token: str) -> Ticket | None:
    """The one ticket a patron's link token opens, or None (a purged ticket opens none)."""
    if not isinstance(token, str) or not token or len(token) > 200:  # noqa: PLR2004
        return None
    return (
        Ticket.objects.select_related("campus", "owner")
        .filter(token_hash=hash_link_token(token), purged_at__isnull=True)
        .first()
    )


def ticket_with_thread(ticket: Ticket) -> TicketWithThread:
    """A ticket with its whole thread (notes included: staff only) and, when it came from
    a chat, that chat's transcript. Two or three queries."""
    thread = [entry_payload(e) for e in TicketEntry.objects.filter(ticket=ticket)]
    transcript = (
        list_message_payloads([ticket.chat_id]).get(ticket.chat_id, [])
        if ticket.chat_id is not None
        else None
    )
    return TicketWithThread(**ticket_summary(ticket), thread=thread, transcript=transcript)


def patron_ticket_view(ticket: Ticket) -> PatronTicketView:
    """The ticket as its patron sees it: the question, the replies and their own answers.
    Internal notes are left out by the query itself."""
    entries = TicketEntry.objects.filter(
        ticket=ticket, kind__in=[EntryKind.REPLY, EntryKind.PATRON]
    )
    return PatronTicketView(
        id=ticket.pk,
        state=cast(TicketStateName, ticket.state),
        campus=ticket.campus.slug,
        campus_name=ticket.campus.name,
        question=ticket.question,
        created_at=ticket.created_at.isoformat(),
        thread=[
            PatronTicketEntry(
                kind="reply" if e.kind == EntryKind.REPLY else "patron",
                author_name=e.author_name,
                body=e.body,
                created_at=e.created_at.isoformat(),
            )
            for e in entries
        ],
    )


def get_ticket_position(ticket_id: int) -> TicketPosition | None:
    """Where a ticket stands in the lists, ``(created_at, id)``: the cursor of a page of
    older tickets. None when there is no such ticket."""
    return Ticket.objects.filter(pk=ticket_id).values_list("created_at", "pk").first()


NO_OWNER = 0


def list_tickets_page(
    *,
    state: str | None = TicketState.NEW,
    campus_id: int | None = None,
    owner_id: int | None = None,
    search: str = "",
    before: TicketPosition | None = None,
    limit: int | None = None,
) -> tuple[list[TicketSummary], bool]:
    """The newest ``limit`` tickets in ``state`` (every state: None) filed before
    ``before`` (from the newest when None), of one campus or of every one, owned by
    ``owner_id`` (``NO_OWNER``: by nobody; None: anyone), whose question, patron or thread
    contains ``search``; newest first; and whether older ones remain.

    ``limit`` defaults to the snapshot's page (``REFDESK_SNAPSHOT_TICKETS``). One query.
    """
    size = limit if limit is not None else settings.REFDESK["SNAPSHOT_TICKETS"]
    tickets = Ticket.objects.select_related("campus", "owner")
    if state is not None:
        tickets = tickets.filter(state=state)
    if campus_id is not None:
        tickets = tickets.filter(campus_id=campus_id)
    if owner_id == NO_OWNER:
        tickets = tickets.filter(owner__isnull=True)
    elif owner_id is not None:
        tickets = tickets.filter(owner_id=owner_id)
    if search:
        in_thread = TicketEntry.objects.filter(ticket=OuterRef("pk"), body__icontains=search)
        tickets = tickets.filter(
            Q(question__icontains=search)
            | Q(patron_name__icontains=search)
            | Q(patron_email__icontains=search)
            | Exists(in_thread)
        )
    if before is not None:
        created_at, ticket_id = before
        tickets = tickets.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=ticket_id)
        )
    found = list(tickets.order_by("-created_at", "-pk")[: size + 1])
    return [ticket_summary(t) for t in found[:size]], len(found) > size


def list_new_tickets(*, limit: int | None = None) -> list[TicketSummary]:
    """The newest ``limit`` tickets of every campus that nobody has opened yet, newest first."""
    return list_tickets_page(limit=limit)[0]


def count_tickets_by_campus(state: str = TicketState.NEW) -> dict[str, int]:
    """How many tickets are in ``state`` in each campus queue, by slug (none: left out)."""
    rows = (
        Ticket.objects.filter(state=state)
        .values_list("campus__slug")
        .annotate(count=Count("id"))
        .order_by()
    )
    return dict(rows)
