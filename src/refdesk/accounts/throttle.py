"""Log-in throttling: a name locks after repeated failures, with a doubling backoff.

Every way of logging in goes through :class:`refdesk.accounts.backends.ThrottledModelBackend`,
so the desk's log-in page, the admin's and any other caller of ``authenticate()`` share
one throttle. The name is counted in its folded form (:func:`account_name`), so that no
spelling of it that Django would let in gets fresh guesses.
"""

from __future__ import annotations

import math
import unicodedata

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from refdesk.core.actions import do_clear_rate_key, do_hit_rate_limit, rate_key
from refdesk.core.selectors import get_recent_count

USER_WINDOW = 15 * 60
ADDRESS_WINDOW = 60 * 60
MAX_LOCKOUT = 60 * 60

# Where the backend leaves the wait for the form's message and the 429's Retry-After.
_WAIT_ATTRIBUTE = "refdesk_login_wait"


def account_name(username: str) -> str:
    """The one name that every spelling of ``username`` counts under.

    Django's log-in form NFKC-normalises the name, so full-width ("ａｎａ"), mathematical
    ("𝐚𝐧𝐚") and modifier ("ᵃⁿᵃ") letters reach the same account as "ana"; case folding
    on top keeps "Ana" and "ANA" with it, as the throttle always has.
    """
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _keys(username: str, address: str) -> tuple[str, str]:
    return rate_key("login-user", account_name(username)), rate_key("login-address", address)


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
    if address:
        from_address, latest_address = get_recent_count(address_key, within_seconds=ADDRESS_WINDOW)
        if from_address >= limits["LOGIN_FAILURES_PER_ADDRESS"] and latest_address is not None:
            wait = max(wait, ADDRESS_WINDOW - (timezone.now() - latest_address).total_seconds())
    return max(0, math.ceil(wait))


def record_failure(username: str, address: str) -> None:
    user_key, address_key = _keys(username, address)
    do_hit_rate_limit(user_key, limit=10**9, window_seconds=USER_WINDOW)
    if address:
        do_hit_rate_limit(address_key, limit=10**9, window_seconds=ADDRESS_WINDOW)


def record_success(username: str) -> None:
    do_clear_rate_key(_keys(username, "")[0])


def remember_wait(request: HttpRequest, seconds: int) -> None:
    """Note on the request that its log-in was refused for ``seconds``."""
    setattr(request, _WAIT_ATTRIBUTE, seconds)


def wait_of(request: HttpRequest | None) -> int:
    """The wait :func:`remember_wait` noted on this request; 0 if its log-in was not refused."""
    return int(getattr(request, _WAIT_ATTRIBUTE, 0))


def wait_message(seconds: int) -> str:
    """The refusal a person reads, rounded up so that trying again then succeeds."""
    if seconds < 60:  # noqa: PLR2004 - a minute
        amount, unit = seconds, "second"
    else:
        amount, unit = math.ceil(seconds / 60), "minute"
    return (
        "Too many failed log-ins from here for this account. "
        f"Try again in {amount} {unit}{'s' if amount != 1 else ''}."
    )
