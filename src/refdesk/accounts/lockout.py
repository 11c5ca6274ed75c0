"""Login throttling: a username locks after repeated failures, with a doubling backoff."""

from __future__ import annotations

import math

from django.conf import settings
from django.utils import timezone

from refdesk.core.actions import do_clear_rate_key, do_hit_rate_limit, rate_key
from refdesk.core.selectors import get_recent_count

USER_WINDOW = 15 * 60
ADDRESS_WINDOW = 60 * 60
MAX_LOCKOUT = 60 * 60


def _keys(username: str, address: str) -> tuple[str, str]:
    return rate_key("login-user", username.strip().lower()), rate_key("login-address", address)


def seconds_locked(username: str, address: str) -> int:
    """How long logins for this username (or from this address) are refused; 0 if not."""
    limits = settings.REFDESK
    user_key, address_key = _keys(username, address)
    failures, latest = get_recent_count(user_key, within_seconds=USER_WINDOW)
    wait = 0.0
    threshold = limits["LOGIN_FAILURES_BEFORE_LOCKOUT"]
    if failures >= threshold and latest is not None:
        backoff = min(limits["LOGIN_LOCKOUT_SECONDS"] * 2 ** (failures - threshold), MAX_LOCKOUT)
        wait = backoff - (timezone.now() - latest).total_seconds()
    from_address, latest_address = get_recent_count(address_key, within_seconds=ADDRESS_WINDOW)
    if from_address >= limits["LOGIN_FAILURES_PER_ADDRESS"] and latest_address is not None:
        wait = max(wait, ADDRESS_WINDOW - (timezone.now() - latest_address).total_seconds())
    return max(0, math.ceil(wait))


def record_failure(username: str, address: str) -> None:
    user_key, address_key = _keys(username, address)
    do_hit_rate_limit(user_key, limit=10**9, window_seconds=USER_WINDOW)
    do_hit_rate_limit(address_key, limit=10**9, window_seconds=ADDRESS_WINDOW)


def record_success(username: str) -> None:
    do_clear_rate_key(_keys(username, "")[0])
