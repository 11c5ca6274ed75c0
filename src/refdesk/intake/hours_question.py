"""Does a patron's line ask about the library's hours, and for which day?

A waiting patron who asks "what time do you close today?" or "are you open sunday" is
answered at once from the campus's hours (``chats.actions.do_answer_hours_question``);
everything else waits for a librarian. The matcher is a pure function, tuned on the
table in tests/intake/test_hours_question.py: it would rather miss a question than
answer one that was about something else ("I spent hours on this", "office hours",
"The Library of Hours"), since a librarian answers a missed one a moment later.

Questions in other languages are left to the librarian: the automatic answer is in
English, and "¿a qué hora cierran?" deserves an answer in Spanish.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import (
    DAY_NAMES,
    MONTHS,
    get_day_hours,
    get_open_until,
    get_opening_status,
    local_now,
)

# Longer lines are rarely only about hours; the librarian reads them.
MAX_CHARS = 120

_WEEKDAYS = {
    "monday": 0, "mon": 0, "mondays": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "tuesdays": 1,
    "wednesday": 2, "wed": 2, "wednesdays": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thursdays": 3,
    "friday": 4, "fri": 4, "fridays": 4,
    "saturday": 5, "sat": 5, "saturdays": 5, "weekend": 5,
    "sunday": 6, "sun": 6, "sundays": 6,
}  # fmt: skip

# Who is asked about: the library, never a file, a link or an assignment.
_WHO = (
    r"(?:you(?:\s+guys|\s+all)?|u|y'?all|ya|it|the\s+(?:\w+\s+)?(?:library|building|branch|desk)"
    r"|(?:the\s+)?library)"
)
# "open" and "close" as the library's, not "open this pdf", "close my account".
_VERB = r"(?:open|close|closed|closing|opening|shut|be\s+open|be\s+closed)"
_NO_OBJECT = r"(?!\s+(?:the|this|that|these|those|a|an|my|your|it|up\s+the)\b)"

_ASKS = [
    # "hours?", "what are your hours", "library hours today", "hours of operation".
    re.compile(r"\b(?:hours|hrs)\b"),
    # "are you open", "are u still open", "are you closed today".
    re.compile(rf"\b(?:are|r)\s+(?:you(?:\s+guys|\s+all)?|u|y'?all|ya)\s+(?:still\s+)?{_VERB}\b"),
    # "is the library open on saturday", "will it be open tomorrow".
    re.compile(rf"\b(?:is|will|'s)\s+{_WHO}\s+(?:still\s+)?{_VERB}\b{_NO_OBJECT}"),
    # "what time do you close", "when does the main library open", "do you close at 10".
    re.compile(rf"\b(?:do|does|did)\s+{_WHO}\s+(?:open|close|shut)\b{_NO_OBJECT}"),
    # "what's your closing time", "what time is closing".
    re.compile(r"\b(?:closing|opening)\s+times?\b|\bwhat\s+time\s+is\s+(?:closing|opening)\b"),
    # "open today?", "open on sundays?": a short line that is nothing else.
    re.compile(
        r"^(?:(?:hi|hello|hey)\W+)?(?:open|closed)\s+(?:today|tonight|tomorrow|now|late"
        r"|this\s+weekend|on\s+\w+|\w+days?)\W*$"
    ),
]

_NOT_ABOUT_THE_DESK = [
    # A length of time: "spent 3 hours", "a few hours", "for hours", "how many hours".
    re.compile(
        r"\b(?:\d+|an?|a\s+few|few|many|several|couple(?:\s+of)?|one|two|three|four|five|six"
        r"|seven|eight|nine|ten|twelve|twenty|24|48|extra|more|long)\s+(?:more\s+)?(?:hours|hrs)\b"
    ),
    re.compile(r"\b(?:for|spent|spend|spending|took|takes|wasted|in)\s+(?:\w+\s+)?hours\b"),
    re.compile(r"\bhours\s+(?:ago|later|long|of\s+(?:credit|sleep|work|study|reading))\b"),
    # Other people's hours, and hours as a topic: "office hours", "working hours of nurses".
    re.compile(
        r"\b(?:office|credit|work|working|contact|billable|visiting|clinic|lab|tutoring"
        r"|writing\s+center|professor'?s?|instructor'?s?|ta'?s?)\s+hours\b"
    ),
    # Titles: "The Library of Hours", a medieval book of hours.
    re.compile(r"\b(?:library|book|books|liturgy)\s+of\s+hours\b"),
    re.compile(r"\b(?:rush|happy|eleventh|zero)\s+hours?\b"),
    re.compile(r"\bopen\s+access\b|\bclosed\s+caption"),
]

_CLEAN = re.compile(r"[^\w'\s]+")


@dataclass(frozen=True)
class HoursAsk:
    """What a line asks: today's hours (``days_ahead`` 0), tomorrow's (1), or a named
    weekday's (``weekday`` 0 = Monday; the coming one, today included)."""

    weekday: int | None = None
    days_ahead: int = 0


def ask_about_hours(text: str) -> HoursAsk | None:
    """The day a patron's line asks the library's hours for, or None when the line does
    not ask about hours (or asks in a way best left to a librarian)."""
    if len(text) > MAX_CHARS:
        return None
    line = " ".join(_CLEAN.sub(" ", text.lower().replace("’", "'")).split())
    if not line or not line.isascii():
        return None
    if any(rule.search(line) for rule in _NOT_ABOUT_THE_DESK):
        return None
    if not any(rule.search(line) for rule in _ASKS):
        return None
    words = line.split()
    for word in words:
        if word in _WEEKDAYS:
            return HoursAsk(weekday=_WEEKDAYS[word])
    if "tomorrow" in words or "tmrw" in words:
        return HoursAsk(days_ahead=1)
    return HoursAsk()


def hours_answer(campus: Campus, ask: HoursAsk, *, now: dt.datetime | None = None) -> str:
    """The automatic answer to ``ask`` from the campus's hours on its own clock: the day's
    hours (closures and special hours applied), and for today whether it is open now and
    until when, or when it next opens. Expects the campus's hours prefetched or cheap to
    read (``campuses.selectors.get_campus_by_slug``)."""
    local = local_now(campus, now)
    ahead = (ask.weekday - local.weekday()) % 7 if ask.weekday is not None else ask.days_ahead
    day = local.date() + dt.timedelta(days=ahead)
    hours = get_day_hours(campus, day)
    label = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"
    reason = f" ({hours.note})" if hours.note else ""
    if ahead == 0:
        if hours.periods:
            said = f"{campus.name}'s hours today ({label}): {hours.describe()}."
        else:
            said = f"{campus.name} is closed today ({label}){reason}."
        status = get_opening_status(campus, now=now)
        if status.open_now:
            until = get_open_until(campus, now=now)
            said += f" It is open now{f', until {until}' if until else ''}."
        elif status.opens_next:
            said += f" It is closed now and opens at {status.opens_next}."
        else:
            said += " It is closed now."
    else:
        when = "Tomorrow" if ahead == 1 else "On"
        if hours.periods:
            said = f"{when} {label}, {campus.name} is open {hours.describe()}."
        else:
            said = f"{when} {label}, {campus.name} is closed{reason}."
    return f"{said} {STILL_QUEUED}"


# The chat stays in the queue: the patron is told so with every automatic answer.
STILL_QUEUED = "You are still in the queue: a librarian will be with you soon."
