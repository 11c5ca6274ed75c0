"""Cleaning untrusted text before it is stored."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from refdesk.core.errors import ActionError

# C0/C1 controls except tab and newline, bidi overrides that can disguise text, and lone
# surrogates (a JSON "\ud800" escape), which no database or socket can carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def clean_text(
    value: object, *, field: str, max_chars: int, required: bool = False, multiline: bool = True
) -> str:
    """Return ``value`` as clean text or raise ``ActionError``.

    Normalises line ends, drops control and bidi-override characters and lone
    surrogates, NFC-normalises and trims; text with no visible character (only
    zero-width characters and blanks) becomes empty. Refuses non-strings, and text over
    ``max_chars`` (it is not cut: nothing is stored half-way).
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActionError("invalid", f"{field} must be text.", field=field)
    # Controls go first, so that what they separated composes (e, NUL, U+0301 gives é).
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFC", text)
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > max_chars:
        raise ActionError(
            "too_long",
            f"{field.capitalize()} is {len(text):,} characters; the limit is {max_chars:,}.",
            field=field,
            limit=max_chars,
        )
    if not has_visible_text(text):
        # Nothing but zero-width characters and blanks counts as nothing at all.
        text = ""
    if required and not text:
        raise ActionError("invalid", f"{field.capitalize()} is required.", field=field)
    return text


# Characters that show nothing on their own: format characters (zero-width space and
# joiners, word joiner, soft hyphen, …) and the blank letters and symbols that pass for
# text (Hangul fillers, the braille blank, the combining grapheme joiner).
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")


def has_visible_text(text: str) -> bool:
    """Whether ``text`` has at least one character that shows: a message of nothing but
    zero-width characters and spaces is empty."""
    return any(
        not char.isspace() and char not in _BLANK_LOOKALIKES and unicodedata.category(char) != "Cf"
        for char in text
    )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(value: object, *, max_chars: int = 254) -> str:
    """An email address (or empty), lightly checked: the patron may retype it later."""
    text = clean_text(value, field="email", max_chars=max_chars, multiline=False)
    if text and not _EMAIL.match(text):
        raise ActionError("invalid", "That email address does not look right.", field="email")
    return text


def strip_query(url: object, *, max_chars: int = 2000) -> str:
    """An http(s) page address without user name, password, query string or fragment;
    anything else (another scheme, control characters, lone surrogates) is dropped.

    Query strings often carry search terms and session ids, and a ``user:password@`` part
    a password, none of which the desk needs.
    """
    if not isinstance(url, str) or len(url) > max_chars * 4 or _CONTROL.search(url):
        return ""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))[:max_chars]
