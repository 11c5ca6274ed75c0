"""Reads of rate counters."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Sum
from django.utils import timezone

from refdesk.core.models import RateCounter


def get_recent_count(key: str, *, within_seconds: int) -> tuple[int, dt.datetime | None]:
    """Hits on ``key`` in windows that started in the last ``within_seconds``, and the
    time of the latest hit."""
    since = timezone.now() - dt.timedelta(seconds=within_seconds)
    total = 0
    latest: dt.datetime | None = None
    for count, updated in RateCounter.objects.filter(key=key, window_start__gte=since).values_list(
        "count", "updated_at"
    ):
        total += count
        latest = updated if latest is None or updated > latest else latest
    return total, latest


def get_recent_counts(
    keys: list[str], *, within_seconds: int
) -> dict[str, tuple[int, dt.datetime | None]]:
    """:func:`get_recent_count` for several keys in one query; every key is in the answer
    (``(0, None)`` for a key with no recent hits)."""
    since = timezone.now() - dt.timedelta(seconds=within_seconds)
    found = {
        row["key"]: (row["total"], row["latest"])
        for row in RateCounter.objects.filter(key__in=keys, window_start__gte=since)
        .values("key")
        .annotate(total=Sum("count"), latest=Max("updated_at"))
        .order_by()
    }
    return {key: found.get(key, (0, None)) for key in keys}
