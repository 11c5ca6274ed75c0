"""The hours question matcher on a table of phrasings: 30 that must match (with the day
each asks for) and 30 near misses that must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from refdesk.intake.hours_question import MAX_CHARS, HoursAsk, ask_about_hours

TODAY = HoursAsk()
TOMORROW = HoursAsk(days_ahead=1)


def on(weekday: int) -> HoursAsk:
    return HoursAsk(weekday=weekday)


MUST_MATCH: list[tuple[str, HoursAsk]] = [
    ("what time do you close today?", TODAY),
    ("are you open sunday", on(6)),
    ("hours?", TODAY),
    ("What are your hours?", TODAY),
    ("library hours today", TODAY),
    ("when do you open tomorrow", TOMORROW),
    ("Are you open now?", TODAY),
    ("how late are you open tonight", TODAY),
    ("What time does the library close?", TODAY),
    ("is the library open on saturday", on(5)),
    ("what are the hours this weekend", on(5)),
    ("When does the library open?", TODAY),
    ("hours on friday?", on(4)),
    ("Are you closed today?", TODAY),
    ("what's your closing time", TODAY),
    ("opening hours please", TODAY),
    ("Is it open tomorrow?", TOMORROW),
    ("until what time are you open", TODAY),
    ("are u open on sundays", on(6)),
    ("what time does the main library open on monday", on(0)),
    ("Hi! What time do you close?", TODAY),
    ("what are your hours of operation", TODAY),
    ("when do you guys close", TODAY),
    ("are you still open?", TODAY),
    ("What hours are you open today?", TODAY),
    ("hrs today?", TODAY),
    ("will the library be open on wednesday", on(2)),
    ("when do you close on thursdays", on(3)),
    ("what are the library hours on Tuesday", on(1)),
    ("do you open early on saturdays?", on(5)),
]

MUST_NOT_MATCH = [
    "how many hours of credit is this course",
    "I spent hours on this assignment",
    "I've been searching for hours and found nothing",
    "when are my professor's office hours",
    "do you have The Library of Hours by Tara Sullivan",
    "I need a book of hours from the medieval collection",
    "can you help me open this pdf",
    "the link won't open",
    "is this article open access",
    "how do I close my account",
    "when does the assignment close",
    "I need sources on working hours of nurses",
    "my paper is due in 3 hours",
    "how many hours a week should I study",
    "can I renew a book that is due tomorrow",
    "what time is it",
    "hi, I need help finding peer-reviewed articles",
    "is the database closed to alumni",
    "¿a qué hora cierran hoy?",
    "¿cuál es el horario de la biblioteca?",
    "can you keep the chat open while I look",
    "I'll be back in an hour",
    "it took me two hours to find this",
    "rush hour traffic studies",
    "are you a real person",
    "open the catalogue for me please",
    "close reading of a poem",
    "do you have closed captions for this video",
    "when do the exams open for registration",
    "what are the recommended hours of sleep for students",
]


def test_the_table_has_thirty_of_each() -> None:
    assert len(MUST_MATCH) == 30
    assert len(MUST_NOT_MATCH) == 30
    assert len({text for text, _ in MUST_MATCH} | set(MUST_NOT_MATCH)) == 60


@pytest.mark.parametrize(("text", "asks"), MUST_MATCH)
def test_a_question_about_hours_is_matched_with_its_day(text: str, asks: HoursAsk) -> None:
    assert ask_about_hours(text) == asks


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_a_near_miss_is_not_matched(text: str) -> None:
    assert ask_about_hours(text) is None


def test_precision_and_recall_over_the_table(report_measure: Callable[[str], None]) -> None:
    found = sum(ask_about_hours(text) is not None for text, _ in MUST_MATCH)
    false = sum(ask_about_hours(text) is not None for text in MUST_NOT_MATCH)
    precision = found / (found + false) if found + false else 0.0
    recall = found / len(MUST_MATCH)
    report_measure(f"hours question matcher: precision {precision:.2f}, recall {recall:.2f}")
    assert (precision, recall) == (1.0, 1.0)


def test_a_long_message_that_mentions_hours_waits_for_a_librarian() -> None:
    text = "what are your hours? " + "I also need help with my research on soil. " * 3
    assert len(text) > MAX_CHARS
    assert ask_about_hours(text) is None
    assert ask_about_hours(text[:MAX_CHARS].rsplit(" ", 1)[0]) == TODAY
