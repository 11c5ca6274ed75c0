"""Counters for rate limits, shared by every server process through the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RateCounter(models.Model):
    """Hits on one key in one fixed window (keys hold hashes, never raw addresses)."""

    key = models.CharField(max_length=160)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_unique")
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"


class AuditEntry(models.Model):
    """One change to the desk's setup (a campus, its hours, a librarian), by whom and when.

    Written by the actions that make the change, in their transaction, so a change and its
    entry commit together or not at all. ``actor`` is null for the command line and the
    sweeper; ``actor_name`` keeps who it was after an account is deleted. Entries never
    hold patron data.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40)
    target_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.action} {self.target_repr}"
