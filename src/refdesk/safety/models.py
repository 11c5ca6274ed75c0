"""What the desk watches for in patrons' messages (word lists as data, per language), and
the guidance the console shows beside a chat when a message is flagged."""

from __future__ import annotations

from django.db import models

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
