"""Placeholders in snippets, and the line the console suggests first.

The same rules are written in JavaScript in ``static/refdesk/js/console/snippetrules.js``
(the composer renders there); one table of cases (tests/snippets/placeholders.json) is
checked against both.

The rule for a placeholder with no value (missing, ``None`` or blank):

1. It is removed, together with the connecting word just before it, if that word is one
   of ``from at for of in with to by I'm`` ("I'm {librarian_name} from {librarian_campus}"
   loses "from" with the campus, "I'll send it to {email}" loses "to").
2. The spaces around what was removed close up: none at the start or the end of a line,
   none before ``, . ; : ! ? )``, one between two words.
3. Punctuation it leaves doubled is tidied: a ``, ; :`` left just before another mark goes
   ("Hi {patron_name}, I'm {librarian_name}." with neither known is "Hi."), a comma left
   at the start of a line goes, "()" left empty goes with the space before it.
4. When the removal starts a line, the letter that now starts it is capitalised.

A placeholder with a value becomes that value, trimmed, taken as it is (braces in a value
are not read as placeholders). A ``{word}`` that is not one of the six placeholders stays
as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PLACEHOLDERS = (
    "patron_name",
    "librarian_name",
    "librarian_campus",
    "campus",
    "hours_today",
    "email",
)

_GAP = "\x00"
_VALUE_OPEN, _VALUE_CLOSE = "\x01", "\x02"
_CAPITAL = "\x03"
_TIGHT = "\x04"
_MARKERS = re.compile("[\x00-\x04]")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_CONNECTOR = re.compile(
    r"(^|[ \t\n(])(?:from|at|for|of|in|with|to|by|I'm|I\u2019m)[ \t]+\x00",
    re.IGNORECASE | re.MULTILINE,
)
_GAP_RUN = re.compile(r"([ \t]*)\x00(?:[ \t]*\x00)*([ \t]*)")
_PUNCTUATION = ",.;:!?)"


def render_snippet(body: str, values: Mapping[str, Any]) -> str:
    """``body`` with each placeholder replaced by its value in ``values``, and each one
    with no value left out by the rule in this module's docstring."""
    kept: list[str] = []

    def fill(match: re.Match[str]) -> str:
        raw = values.get(match.group(1))
        value = str(raw).strip() if raw is not None else ""
        if not value:
            return _GAP
        kept.append(_MARKERS.sub("", value))
        return f"{_VALUE_OPEN}{len(kept) - 1}{_VALUE_CLOSE}"

    text = _PLACEHOLDER.sub(fill, _MARKERS.sub("", body))
    text = _CONNECTOR.sub(lambda m: m.group(1) + _GAP, text)

    def close_up(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        left, right = match.group(1), match.group(2)
        if before in ("", "\n"):
            return _CAPITAL
        if after in ("", "\n"):
            return ""
        if after in _PUNCTUATION or before == "(":
            return _TIGHT
        return " " if left or right else ""

    text = _GAP_RUN.sub(close_up, text)
    text = re.sub(r"[,;:]\x04(?=[,.;:!?])", "", text)
    text = re.sub(r"[ \t]*\(\x04\)", "", text)
    text = re.sub(r"(^|\n)\x03[,;:][ \t]*", r"\1" + _CAPITAL, text)
    text = re.sub(r"\x03(.)", lambda m: m.group(1).upper(), text, flags=re.DOTALL)
    text = text.replace(_CAPITAL, "").replace(_TIGHT, "")
    return re.sub(r"\x01(\d+)\x02", lambda m: kept[int(m.group(1))], text)


def first_suggestion_purpose(*, chat_campus: str, home_campus: str, patron_name: str) -> str:
    """The purpose of the line the console offers first for a chat: "identify" when the
    librarian answers for another campus than their home campus, else "ask_name" when the
    patron gave no name, else "greeting"."""
    if chat_campus != home_campus:
        return "identify"
    if not patron_name.strip():
        return "ask_name"
    return "greeting"


def order_for_chat(
    snippets: Iterable[Mapping[str, Any]], *, chat_campus: str
) -> list[Mapping[str, Any]]:
    """The snippets in the order the console lists them for a chat of ``chat_campus``:
    personal ones, then that campus's, then global ones, then other campuses'; each group
    in its own order."""
    rank = {"personal": 0, "campus": 1, "global": 2}

    def key(snippet: Mapping[str, Any]) -> int:
        if snippet["scope"] == "campus" and snippet["campus"] != chat_campus:
            return 3
        return rank[snippet["scope"]]

    return sorted(snippets, key=key)


def first_suggestion(
    snippets: Sequence[Mapping[str, Any]],
    *,
    chat_campus: str,
    home_campus: str,
    patron_name: str,
) -> Mapping[str, Any] | None:
    """The snippet the console offers first for a chat (see
    :func:`first_suggestion_purpose`): the first one with that purpose in the chat's order
    (:func:`order_for_chat`), other campuses' left out; ``None`` when there is none."""
    purpose = first_suggestion_purpose(
        chat_campus=chat_campus, home_campus=home_campus, patron_name=patron_name
    )
    for snippet in order_for_chat(snippets, chat_campus=chat_campus):
        if snippet["purpose"] != purpose:
            continue
        if snippet["scope"] == "campus" and snippet["campus"] != chat_campus:
            continue
        return snippet
    return None
