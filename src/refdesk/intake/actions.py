"""The only writer of patron rate counts, and the checks of a patron's form.

Nothing here stores a chat or a ticket: these are the steps both take before they do.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from refdesk.core.actions import do_hit_rate_limit, rate_key
from refdesk.core.errors import ActionError
from refdesk.core.text import clean_text
from refdesk.intake.namebox import looks_like_question

# The widget's browser id is a random UUID; anything that does not look like an id is
# treated as no id (the address limit still counts it).
_BROWSER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def hash_address(address: str) -> str:
    """A salted hash of a patron's IP address: the address itself is never stored."""
    if not address:
        return ""
    salt = str(settings.REFDESK["IP_SALT"]).encode()
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()


def hash_browser_id(browser_id: object) -> str:
    """A salted hash of the widget's browser id, or empty for anything that does not look
    like one: the id itself is never stored."""
    if not isinstance(browser_id, str) or not _BROWSER_ID.fullmatch(browser_id):
        return ""
    salt = str(settings.REFDESK["IP_SALT"]).encode()
    return hmac.new(salt, f"browser:{browser_id}".encode(), hashlib.sha256).hexdigest()


def clean_name_and_question(name: object, question: object) -> tuple[str, str, bool]:
    """The name and question of a patron's form, and whether the name box held the question.

    A question typed into the name box becomes the question (before any typed in the
    question box) and the name is left empty. Raises ``ActionError`` (``invalid`` or
    ``too_long``, with the field) when either is not usable.
    """
    limits = settings.REFDESK
    max_chars = limits["MAX_MESSAGE_CHARS"]
    # The name box may hold a whole question, so it is read with the question's limit.
    clean_name = clean_text(name, field="name", max_chars=max_chars, multiline=False)
    clean_question = clean_text(question, field="question", max_chars=max_chars)
    name_was_question = bool(clean_name) and looks_like_question(clean_name)
    if name_was_question:
        clean_question = f"{clean_name}\n{clean_question}" if clean_question else clean_name
        clean_name = ""
        if len(clean_question) > max_chars:
            raise ActionError(
                "too_long",
                f"Your question is limited to {max_chars:,} characters.",
                field="question",
                limit=max_chars,
            )
    elif len(clean_name) > limits["MAX_NAME_CHARS"]:
        raise ActionError(
            "too_long",
            f"Name is limited to {limits['MAX_NAME_CHARS']} characters.",
            field="name",
            limit=limits["MAX_NAME_CHARS"],
        )
    if not clean_question:
        raise ActionError("invalid", "Please type your question.", field="question")
    return clean_name, clean_question, name_was_question


def do_limit_patron(
    kind: str,
    *,
    browser_id: object,
    address: str,
    per_browser: tuple[int, int],
    per_address: tuple[int, int],
    refusal: str,
) -> None:
    """Count one patron request of ``kind`` against its browser id and its address, each
    a (limit, window seconds); raise ``rate_limited`` with ``retry_after`` past either.

    ``refusal`` starts the message ("Too many new chats from here").
    """
    checks = []
    if isinstance(browser_id, str) and _BROWSER_ID.fullmatch(browser_id):
        checks.append((rate_key(f"{kind}-browser", browser_id), *per_browser))
    if address:
        checks.append((rate_key(f"{kind}-address", address), *per_address))
    for key, limit, window in checks:
        decision = do_hit_rate_limit(key, limit=limit, window_seconds=window)
        if not decision.allowed:
            minutes = max(1, round(decision.retry_after / 60))
            raise ActionError(
                "rate_limited",
                f"{refusal}. Please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after=decision.retry_after,
            )
