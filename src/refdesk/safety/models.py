"""Blocks of patrons who turned abusive, and incidents: the record of an abusive or crisis
situation and what was done about it."""

from __future__ import annotations

from django.db import models

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.chats.models import Chat

REASON_MAX = 500
NOTE_MAX = 1000
TEXT_MAX = 4000
BLOCK_DAYS = (1, 7, 30)


class Block(models.Model):
    """A patron kept from starting chats until ``expires_at``, by the hash of their
    widget's browser id and by the hash of their address; neither id nor address is kept.
    Active while not lifted and not expired."""

    browser_hash = models.CharField(max_length=64, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=REASON_MAX)
    chat = models.ForeignKey(
        Chat, null=True, blank=True, on_delete=models.SET_NULL, related_name="blocks"
    )
    created_by = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_note = models.CharField(max_length=NOTE_MAX, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"Block {self.pk}"


class IncidentKind(models.TextChoices):
    ABUSE = "abuse", "Abuse"
    THREAT = "threat", "Threat"
    CRISIS = "crisis", "Crisis"
    SPAM = "spam", "Spam"
    OTHER = "other", "Other"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    """What happened in an abusive or crisis situation, what the librarian did, and what
    should follow; supervisors close it with a note."""

    chat = models.ForeignKey(
        Chat, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(max_length=8, choices=IncidentKind.choices)
    what_happened = models.TextField(max_length=TEXT_MAX)
    actions_taken = models.TextField(max_length=TEXT_MAX, blank=True)
    follow_up = models.TextField(max_length=TEXT_MAX, blank=True)
    reported_by = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=6, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    closed_by = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    close_note = models.CharField(max_length=NOTE_MAX, blank=True)
    # Set when the retention period removed the text of a closed incident.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"Incident {self.pk} ({self.kind})"
