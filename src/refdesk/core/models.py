"""Counters for rate limits, shared by every server process through the database."""

from __future__ import annotations

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
