"""Log-in throttling: the policy, the keys it counts under, and how a refusal reads.

Every way of logging in goes through :class:`refdesk.accounts.backends.ThrottledModelBackend`,
so the desk's log-in page, the admin's and any other caller of ``authenticate()`` share
one throttle. It counts failed log-ins under three keys, each a salted hash
(:func:`refdesk.core.actions.rate_key`), in one-minute buckets read as a sliding window of
:data:`WINDOW_SECONDS`:

- the **pair**, an account (:func:`account_name`) from one address;
- the **account**, from any address;
- the **address**, for any name.

The policy, from the pair's latest failure (so that ``Retry-After`` is the real wait):

1. A pair with ``LOGIN_FAILURES_BEFORE_LOCKOUT`` (5) failures is locked for
   ``LOGIN_LOCKOUT_SECONDS`` (60), doubling with each further failure, at most
   :data:`MAX_LOCKOUT_SECONDS`. It is refused before the password is checked, right or
   wrong: whoever guessed sits at that address.
2. While the account has ``LOGIN_FAILURES_PER_ACCOUNT`` (20) failures from anywhere, or
   the address ``LOGIN_FAILURES_PER_ADDRESS`` (30) for any names, a pair that has failed
   is slowed down: :data:`SLOW_DOWN_SECONDS` for each of its failures.
3. A pair that never failed is never refused: a librarian whose account is guessed from
   elsewhere, or who shares an address (a lab's NAT) with someone trying made-up names,
   logs in with the right password at once.
4. A successful log-in forgets the pair's failures (not the account's or the address's).

Refusals are not counted, so a lock ends when it says it will.

Existing and made-up names are counted alike, under the folded name rather than the
account it may resolve to, so the answers never tell an attacker which names exist.
Each made-up name does add its rows; the password hash that Django runs for an unknown
name as for a known one bounds how fast, and counters go after two days
(:func:`refdesk.core.actions.do_forget_old_counters`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from refdesk.core.actions import rate_key

BUCKET_SECONDS = 60
# Long enough for the doubling to reach its top step: 1 + 2 + … + 32 minutes of waits
# (63 minutes) before the hour, and several hour-long steps after it.
WINDOW_SECONDS = 6 * 3600
MAX_LOCKOUT_SECONDS = 3600
SLOW_DOWN_SECONDS = 10

# Where the backend leaves the wait for the form's message and the 429's Retry-After.
_WAIT_ATTRIBUTE = "refdesk_login_wait"


def account_name(username: str) -> str:
    """The one name that every spelling of ``username`` counts under.

    Django's log-in form NFKC-normalises the name, so full-width ("ａｎａ"), mathematical
    ("𝐚𝐧𝐚") and modifier ("ᵃⁿᵃ") letters reach the same account as "ana"; case folding
    on top keeps "Ana" and "ANA" with it. The folded name, not the user it resolves to,
    is the key: a key that differed for names that exist would let the answers (which
    spellings share a lock) tell which names exist.
    """
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


@dataclass(frozen=True)
class LoginKeys:
    pair: str
    account: str
    address: str | None  # None without an address (authenticate() called with no request)

    def counted(self) -> list[str]:
        return [key for key in (self.pair, self.account, self.address) if key is not None]


def login_keys(username: str, address: str) -> LoginKeys:
    """The counter keys of a log-in as ``username`` from ``address``: hashes only."""
    account = account_name(username)
    return LoginKeys(
        pair=rate_key("login-pair", json.dumps([account, address])),
        account=rate_key("login-account", account),
        address=rate_key("login-address", address) if address else None,
    )


@dataclass(frozen=True)
class Failures:
    count: int
    latest: dt.datetime | None


NO_FAILURES = Failures(0, None)


def seconds_to_wait(
    *, pair: Failures, account: Failures, address: Failures, now: dt.datetime
) -> int:
    """How long the pair must wait before its password is checked; 0 for at once."""
    if pair.count == 0 or pair.latest is None:
        return 0
    limits = settings.REFDESK
    since = (now - pair.latest).total_seconds()
    wait = 0.0
    threshold = limits["LOGIN_FAILURES_BEFORE_LOCKOUT"]
    if pair.count >= threshold:
        doublings = min(pair.count - threshold, 32)
        lockout = min(limits["LOGIN_LOCKOUT_SECONDS"] * 2**doublings, MAX_LOCKOUT_SECONDS)
        wait = lockout - since
    if (
        account.count >= limits["LOGIN_FAILURES_PER_ACCOUNT"]
        or address.count >= limits["LOGIN_FAILURES_PER_ADDRESS"]
    ):
        wait = max(wait, SLOW_DOWN_SECONDS * pair.count - since)
    return max(0, math.ceil(wait))


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
