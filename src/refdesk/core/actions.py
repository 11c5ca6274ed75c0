"""The core writes: rate counters, audit entries, and the changed-fields update that the
apps' actions share."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from refdesk.core.models import AuditEntry, RateCounter

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_HIT = (
    "INSERT INTO core_ratecounter (key, window_start, count, updated_at) VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (key, window_start) DO UPDATE SET count = core_ratecounter.count + 1, "
    "updated_at = excluded.updated_at RETURNING count"
)


_Row = TypeVar("_Row", bound=models.Model)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    retry_after: int  # seconds; 0 when allowed


def rate_key(kind: str, value: str) -> str:
    """A counter key that never holds the raw value (an address, a browser id)."""
    digest = hashlib.sha256(f"{settings.REFDESK['IP_SALT']}:{value}".encode()).hexdigest()
    return f"{kind}:{digest[:40]}"


def _window(now: dt.datetime, seconds: int) -> dt.datetime:
    start = math.floor(now.timestamp() / seconds) * seconds
    return dt.datetime.fromtimestamp(start, tz=dt.UTC)


def do_hit_rate_limit(key: str, *, limit: int, window_seconds: int) -> RateDecision:
    """Count one hit on ``key`` in the current fixed window; refuse past ``limit``.

    One atomic upsert, so any number of processes count together. A refused hit still
    counts (a flood keeps itself refused).
    """
    now = timezone.now()
    start = _window(now, window_seconds)
    ops = connection.ops
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _HIT,
            [key, ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(now)],
        )
        (count,) = cursor.fetchone()
    if count <= limit:
        return RateDecision(True, count, 0)
    retry = math.ceil((start + dt.timedelta(seconds=window_seconds) - now).total_seconds())
    return RateDecision(False, count, max(retry, 1))


def do_forget_old_counters(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Delete counters of windows that ended long ago; returns how many."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted


def do_clear_rate_key(key: str) -> None:
    """Forget every window of ``key`` (a successful login clears its failures)."""
    RateCounter.objects.filter(key=key).delete()


def do_record_audit(
    actor: AbstractBaseUser | None,
    action: str,
    *,
    target_type: str,
    target_id: object,
    target_repr: str,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; the action that made the change calls this in its own
    transaction. ``actor`` None is the command line or the desk itself."""
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else "command line",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_repr=target_repr[:200],
        changes=changes or {},
    )


def do_change_fields(
    current: _Row,
    wanted: Mapping[str, Any],
    *,
    shown: Callable[[str, Any], Any] = lambda _key, value: value,
) -> dict[str, list[Any]]:
    """Give the row ``current`` (read in the caller's transaction) the ``wanted`` field
    values: one UPDATE of every wanted field, and ``current`` itself updated, only when one
    of them differs. Returns what changed, ``{field: [before, after]}`` (each as
    ``shown(field, value)`` gives it), for the caller's audit entry; empty: nothing was
    written."""
    changes = {
        key: [shown(key, getattr(current, key)), shown(key, value)]
        for key, value in wanted.items()
        if getattr(current, key) != value
    }
    if changes:
        type(current)._default_manager.filter(pk=current.pk).update(**wanted)
        for key, value in wanted.items():
            setattr(current, key, value)
    return changes
