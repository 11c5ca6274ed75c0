"""Tickets: questions answered by email later, and the event log of each one's changes."""

from __future__ import annotations

from django.db import models

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus


class TicketState(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    CLOSED = "closed", "Closed"


class TicketSource(models.TextChoices):
    FORM = "form", "Offline form"
    CHAT = "chat", "Chat"


class Ticket(models.Model):
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="tickets")
    state = models.CharField(max_length=8, choices=TicketState.choices, default=TicketState.NEW)
    source = models.CharField(max_length=4, choices=TicketSource.choices, default=TicketSource.FORM)
    patron_name = models.CharField(max_length=120, blank=True)
    # Required when the ticket is made (the answer goes there); blank once purged.
    patron_email = models.CharField(max_length=254, blank=True)
    question = models.TextField(blank=True)
    page_url = models.CharField(max_length=2000, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when the retention period removed the patron's details and the question.
    purged_at = models.DateTimeField(null=True, blank=True)
    # Who is working on it (null: unassigned).
    owner = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # The chat it came from: its transcript is shown with the ticket.
    chat = models.ForeignKey(
        "chats.Chat", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # Only a hash of the patron's link token is kept (null for tickets made before links).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The console's list of new tickets, newest first.
            models.Index(fields=["state", "-created_at"], name="ticket_state_created"),
            # The retention purge: closed long ago and not yet purged.
            models.Index(fields=["state", "closed_at"], name="ticket_state_closed"),
            models.Index(fields=["campus", "created_at"], name="ticket_campus_created"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.campus.slug}, {self.state})"


class TicketEvent(models.Model):
    """One state change of a ticket, with the event that was sent to the staff socket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    actor = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.pk} {self.type} ticket {self.ticket_id}"


class EntryKind(models.TextChoices):
    REPLY = "reply", "Reply to the patron"
    PATRON = "patron", "The patron's answer"
    NOTE = "note", "Internal note"


class SendState(models.TextChoices):
    NONE = "", "Not sent by email"
    UNSENT = "unsent", "Waiting to be sent"
    SENT = "sent", "Sent"


class TicketEntry(models.Model):
    """One entry of a ticket's thread: a reply emailed to the patron, the patron's answer,
    or an internal note (never shown or sent to the patron)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=6, choices=EntryKind.choices)
    author = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    # A staff client's id for a reply, so a retried frame is stored once.
    # Null, not blank, when absent: the unique constraint then ignores it.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()
    # Replies only: emailed yet? A reply that could not be sent is kept and retried.
    send_state = models.CharField(
        max_length=6, choices=SendState.choices, default=SendState.NONE, blank=True
    )
    send_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "client_id"], name="ticket_entry_client_id_once"
            )
        ]
        indexes = [
            models.Index(fields=["send_state", "next_attempt_at"], name="ticket_entry_to_send")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"
