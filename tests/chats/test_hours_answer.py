"""The automatic hours answer: its text from the campus's hours (today, a named day, a
closure, across midnight), and the rows and events of the answer to a waiting patron."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from refdesk.accounts.models import Librarian
from refdesk.campuses.actions import (
    ClosureSpec,
    SpecialDaySpec,
    do_set_closures,
    do_set_special_hours,
    do_set_weekly_hours,
)
from refdesk.campuses.models import Campus
from refdesk.chats import actions
from refdesk.chats.actions import HOURS_ANSWER_EVERY
from refdesk.chats.models import Chat, ChatState, Message
from refdesk.core.realtime import STAFF_GROUP
from refdesk.intake.hours_question import STILL_QUEUED, HoursAsk, hours_answer
from tests.support import assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db(transaction=True)

NEW_YORK = ZoneInfo("America/New_York")
T = dt.time
# Tuesday 3 March 2026, 3pm in New York.
TUESDAY_3PM = dt.datetime(2026, 3, 3, 15, tzinfo=NEW_YORK)


@pytest.fixture
def north(make_campus: Callable[..., Campus]) -> Campus:
    campus = make_campus("north", name="North Library")
    week = {day: [(T(8), T(22))] for day in range(6)} | {6: [(T(12), T(18))]}
    do_set_weekly_hours(campus, hours=week)
    return Campus.objects.get(pk=campus.pk)


def test_today_says_the_hours_and_until_when_it_is_open(north: Campus) -> None:
    assert hours_answer(north, HoursAsk(), now=TUESDAY_3PM) == (
        "North Library's hours today (Tuesday 3 March): 8am–10pm. It is open now, until "
        f"10pm. {STILL_QUEUED}"
    )


def test_today_after_closing_says_when_it_opens_next(north: Campus) -> None:
    late = TUESDAY_3PM.replace(hour=23)
    assert hours_answer(north, HoursAsk(), now=late) == (
        "North Library's hours today (Tuesday 3 March): 8am–10pm. It is closed now and opens "
        f"at 8am tomorrow. {STILL_QUEUED}"
    )


def test_a_named_day_answers_the_coming_one_with_its_closure(north: Campus) -> None:
    do_set_closures(
        north, closures=[ClosureSpec(dt.date(2026, 3, 8), dt.date(2026, 3, 8), "Spring break")]
    )
    campus = Campus.objects.get(pk=north.pk)
    assert hours_answer(campus, HoursAsk(weekday=6), now=TUESDAY_3PM) == (
        f"On Sunday 8 March, North Library is closed (Spring break). {STILL_QUEUED}"
    )
    assert hours_answer(campus, HoursAsk(weekday=0), now=TUESDAY_3PM) == (
        f"On Monday 9 March, North Library is open 8am–10pm. {STILL_QUEUED}"
    )
    # Today's weekday is today, not next week.
    assert hours_answer(campus, HoursAsk(weekday=1), now=TUESDAY_3PM).startswith(
        "North Library's hours today (Tuesday 3 March)"
    )


def test_tomorrow_with_special_hours_names_them(north: Campus) -> None:
    do_set_special_hours(
        north, days=[SpecialDaySpec(dt.date(2026, 3, 4), ((T(10), T(14)),), "Exam week")]
    )
    campus = Campus.objects.get(pk=north.pk)
    assert hours_answer(campus, HoursAsk(days_ahead=1), now=TUESDAY_3PM) == (
        f"Tomorrow Wednesday 4 March, North Library is open 10am–2pm (Exam week). {STILL_QUEUED}"
    )


def test_a_closure_today_is_said_with_its_reason(north: Campus) -> None:
    do_set_closures(north, closures=[ClosureSpec(dt.date(2026, 3, 3), dt.date(2026, 3, 4), "Snow")])
    campus = Campus.objects.get(pk=north.pk)
    assert hours_answer(campus, HoursAsk(), now=TUESDAY_3PM) == (
        "North Library is closed today (Tuesday 3 March) (Snow). It is closed now and opens at "
        f"8am on Thursday. {STILL_QUEUED}"
    )


def test_across_midnight_last_nights_period_is_still_open(north: Campus) -> None:
    do_set_weekly_hours(north, hours={4: [(T(20), T(2))]})
    campus = Campus.objects.get(pk=north.pk)
    # Saturday 7 March, 1am: Friday's period runs to 2am; Saturday itself is closed.
    one_am = dt.datetime(2026, 3, 7, 1, tzinfo=NEW_YORK)
    assert hours_answer(campus, HoursAsk(), now=one_am) == (
        "North Library is closed today (Saturday 7 March). It is open now, until 2am. "
        f"{STILL_QUEUED}"
    )
    # Friday 9pm: "what time do you close?" is answered 2am.
    assert "It is open now, until 2am." in hours_answer(
        campus, HoursAsk(), now=one_am - dt.timedelta(hours=4)
    )


def automatic_line(chat: Chat, seq: int, body: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "type": "message",
        "chat_id": chat.pk,
        "seq": seq,
        "sender": "system",
        "sender_name": "",
        "body": body,
        "client_id": "",
        "sent_at": at.isoformat(),
        "automatic": True,
    }


def test_a_waiting_patron_asking_about_hours_is_answered_once_and_stays_in_the_queue(
    north: Campus, new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    chat, _ = new_chat(question="Do you have APA guides?")
    actions.check_send_patron_message(chat, client_id="p1", body="what time do you close today?")
    now = TUESDAY_3PM.astimezone(dt.UTC)
    with capture_events() as events:
        line = actions.do_answer_hours_question(
            chat.pk, question="what time do you close today?", now=now
        )
    body = hours_answer(north, HoursAsk(), now=now)
    assert line == automatic_line(chat, 3, body, now)
    assert_events_exactly(events, [((f"chat.{chat.pk}", STAFF_GROUP), line)])
    stored = Message.objects.get(chat=chat, seq=3)
    assert (stored.sender, stored.body, stored.automatic) == ("system", body, True)
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.state, fresh.last_seq, fresh.hours_answered_at) == (ChatState.WAITING, 3, now)
    assert (fresh.home_until, fresh.ticket_offer_at) == (chat.home_until, chat.ticket_offer_at)

    # Asked again within five minutes: no second answer, nothing written or sent.
    soon = now + HOURS_ANSWER_EVERY - dt.timedelta(seconds=1)
    with capture_events() as events:
        assert actions.do_answer_hours_question(chat.pk, question="hours?", now=soon) is None
    assert events == []
    assert Chat.objects.get(pk=chat.pk).last_seq == 3
    # Five minutes on, a new question is answered again.
    later = now + HOURS_ANSWER_EVERY
    again = actions.do_answer_hours_question(chat.pk, question="are you open sunday", now=later)
    assert again is not None
    assert again["seq"] == 4
    assert again["body"].startswith("On Sunday 8 March, North Library is open 12pm–6pm.")


def test_other_lines_and_chats_that_no_longer_wait_get_no_answer(
    north: Campus,
    new_chat: Callable[..., tuple[Chat, str]],
    make_librarian: Callable[..., Librarian],
) -> None:
    chat, _ = new_chat(question="Do you have APA guides?")
    with capture_events() as events:
        assert actions.do_answer_hours_question(chat.pk, question="I spent hours on this") is None
    actions.do_claim_chat(chat.pk, acting_librarian=make_librarian("ana"))
    with capture_events() as more:
        assert actions.do_answer_hours_question(chat.pk, question="what are your hours?") is None
    assert events == more == []
    assert list(Message.objects.filter(chat=chat).values_list("sender", flat=True)) == ["patron"]
    assert Chat.objects.get(pk=chat.pk).hours_answered_at is None


def test_a_chat_that_opens_with_a_question_about_hours_has_its_answer_waiting(
    north: Campus, new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    with capture_events() as events:
        chat, _ = new_chat(question="Are you open on Sunday?")
    rows = list(Message.objects.filter(chat=chat).values_list("seq", "sender", "automatic"))
    assert rows == [(1, "patron", False), (2, "system", True)]
    assert [(groups, event["type"]) for groups, event in events] == [
        ((STAFF_GROUP,), "chat.created"),
        ((f"chat.{chat.pk}", STAFF_GROUP), "message"),
    ]
    assert events[1][1]["automatic"] is True
    assert events[1][1]["body"].startswith("On Sunday ")
