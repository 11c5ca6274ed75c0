"""Blocks of patrons who turned abusive, and incidents: the record of an abusive or crisis
situation and what was done about it; what the desk watches for in patrons' messages
(word lists as data, per language), and the guidance the console shows beside a chat
when a message is flagged.
"""

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


TERM_MAX = 80
NOTE_MAX = 200
GUIDANCE_MAX = 300
LANGUAGE_MAX = 8


class TermKind(models.TextChoices):
    ABUSE = "abuse", "Abuse (insults, profanity, harassment)"
    THREAT = "threat", "Threat (violence, weapons, stalking)"
    CRISIS = "crisis", "Crisis (self-harm, abuse at home, no place to sleep)"
    # A phrase that neutralises a hit it covers: "kill the process", "Hamlet's suicide".
    EXCEPTION = "exception", "Exception (an innocent use that cancels a hit)"


class WatchTerm(models.Model):
    """One word, phrase or pattern (``is_pattern``: ``*`` and ``...`` mean something, see
    docs/safety.md) that flags a patron's message as ``kind``."""

    language = models.CharField(max_length=LANGUAGE_MAX, default="en")
    kind = models.CharField(max_length=9, choices=TermKind.choices)
    term = models.CharField(max_length=TERM_MAX)
    is_pattern = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ("language", "kind", "term")
        constraints = [
            models.UniqueConstraint(
                fields=["language", "kind", "term"], name="watchterm_unique_per_language_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.language}, {self.kind})"


class GuidanceKind(models.TextChoices):
    ESCALATION = "escalation", "Escalation (abusive or threatening patron)"
    CRISIS = "crisis", "Crisis (patron in distress)"


class Section(models.TextChoices):
    COMMUNICATE = "communicate", "Communicating with the patron"
    SUGGEST = "suggest", "Actions to suggest to the patron"
    ACT = "act", "Actions for you"
    REMEMBER = "remember", "Important things to remember"


class Guidance(models.Model):
    """One short step of a panel's guidance, under one of its four headings."""

    kind = models.CharField(max_length=10, choices=GuidanceKind.choices)
    section = models.CharField(max_length=11, choices=Section.choices)
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=GUIDANCE_MAX)

    class Meta:
        ordering = ("kind", "section", "position", "pk")
        verbose_name_plural = "guidance"

    def __str__(self) -> str:
        return self.text
