"""A campus's hours as patrons read them: its own zone, periods past midnight, daylight-saving
changes, closures and special hours winning over the week; one answer everywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from refdesk.campuses.actions import (
    ClosureSpec,
    SpecialDaySpec,
    do_set_closures,
    do_set_special_hours,
    do_set_weekly_hours,
    do_upsert_campus,
)
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import (
    OpeningStatus,
    get_campus_by_slug,
    get_coming_exceptions,
    get_hours_today,
    get_opening_status,
)

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
T = dt.time
EVERY_DAY_8_TO_22 = {day: [(T(8), T(22))] for day in range(7)}


def _campus(slug: str = "north", zone: str = "America/New_York") -> Campus:
    return do_upsert_campus(slug, name=f"{slug.title()} Library", colour="#1f4e79", timezone=zone)


def _fresh(campus: Campus) -> Campus:
    found = get_campus_by_slug(campus.slug)
    assert found is not None
    return found


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


# 2025 in New York: clocks go forward at 2am on Sunday 9 March (EST, UTC-5, to EDT, UTC-4)
# and back at 2am on Sunday 2 November.


@pytest.mark.parametrize(
    ("moment", "open_now", "opens_next"),
    [
        # Saturday 8 March, 9:59pm EST: open.
        (utc(2025, 3, 9, 2, 59), True, None),
        # 10pm EST: shut until 8am, which is EDT by then: 12:00 UTC, not 13:00.
        (utc(2025, 3, 9, 3, 0), False, "8am tomorrow"),
        (utc(2025, 3, 9, 11, 59), False, "8am"),
        (utc(2025, 3, 9, 12, 0), True, None),
        # Sunday 2 November: 8am EST is 13:00 UTC; at 12:30 UTC it is 7:30am.
        (utc(2025, 11, 2, 12, 30), False, "8am"),
        (utc(2025, 11, 2, 13, 0), True, None),
    ],
)
def test_the_week_is_read_on_the_campus_clock_on_both_sides_of_a_daylight_saving_change(
    moment: dt.datetime, open_now: bool, opens_next: str | None
) -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours=EVERY_DAY_8_TO_22)

    assert get_opening_status(_fresh(campus), now=moment) == OpeningStatus(open_now, opens_next)


@pytest.mark.parametrize(
    ("moment", "open_now"),
    [
        # Saturday 8 March 8pm to 2am Sunday: the clocks jump from 2am to 3am, so the period
        # ends at the jump, 07:00 UTC (1:59am EST is the last open minute).
        (utc(2025, 3, 9, 1, 0), True),
        (utc(2025, 3, 9, 6, 59), True),
        (utc(2025, 3, 9, 7, 0), False),
        # Saturday 1 November 8pm to 2am Sunday: 1am comes twice, so it runs an hour longer
        # in real time, until 2am EST = 07:00 UTC.
        (utc(2025, 11, 2, 5, 30), True),  # 1:30am EDT
        (utc(2025, 11, 2, 6, 30), True),  # 1:30am EST, the second time
        (utc(2025, 11, 2, 7, 0), False),
    ],
)
def test_a_period_past_midnight_ends_by_the_wall_clock_across_a_daylight_saving_change(
    moment: dt.datetime, open_now: bool
) -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={5: [(T(20), T(2))]})

    assert get_opening_status(_fresh(campus), now=moment).open_now is open_now


def test_a_period_past_midnight_is_open_after_midnight_and_today_shows_it_on_its_own_day() -> None:
    campus = _campus()
    # Friday 6pm to 2am; Saturday 10am to 4pm.
    do_set_weekly_hours(campus, hours={4: [(T(18), T(2))], 5: [(T(10), T(16))]})
    campus = _fresh(campus)
    friday_night = dt.datetime(2025, 3, 7, 23, 30, tzinfo=NEW_YORK)
    saturday_1am = dt.datetime(2025, 3, 8, 1, 0, tzinfo=NEW_YORK)
    saturday_3am = dt.datetime(2025, 3, 8, 3, 0, tzinfo=NEW_YORK)

    assert get_hours_today(campus, now=friday_night) == "6pm–2am"
    assert get_opening_status(campus, now=friday_night) == OpeningStatus(True, None)
    assert get_opening_status(campus, now=saturday_1am) == OpeningStatus(True, None)
    assert get_hours_today(campus, now=saturday_1am) == "10am–4pm"
    assert get_opening_status(campus, now=saturday_3am) == OpeningStatus(False, "10am")


def test_closing_at_midnight_is_open_until_the_last_minute_of_the_day() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={0: [(T(8), T(0))]})
    campus = _fresh(campus)

    assert get_hours_today(campus, now=dt.datetime(2025, 3, 3, 12, tzinfo=NEW_YORK)) == "8am–12am"
    late = dt.datetime(2025, 3, 3, 23, 59, 59, tzinfo=NEW_YORK)
    assert get_opening_status(campus, now=late).open_now is True
    midnight = dt.datetime(2025, 3, 4, 0, 0, tzinfo=NEW_YORK)
    assert get_opening_status(campus, now=midnight) == OpeningStatus(False, "8am on Monday")


def test_a_closure_wins_over_the_week_and_over_special_hours() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours=EVERY_DAY_8_TO_22)
    # Thanksgiving Thursday 27 November 2025 and the Friday after, with special hours on
    # the Friday that the closure still wins over.
    do_set_closures(
        campus, closures=[ClosureSpec(dt.date(2025, 11, 27), dt.date(2025, 11, 28), "Thanksgiving")]
    )
    do_set_special_hours(
        campus, days=[SpecialDaySpec(dt.date(2025, 11, 28), ((T(10), T(14)),), "Short day")]
    )
    campus = _fresh_at(campus, dt.date(2025, 11, 20))
    thursday_noon = dt.datetime(2025, 11, 27, 12, tzinfo=NEW_YORK)

    assert get_hours_today(campus, now=thursday_noon) == "Closed today (Thanksgiving)"
    assert get_opening_status(campus, now=thursday_noon) == OpeningStatus(False, "8am on Saturday")
    wednesday = dt.datetime(2025, 11, 26, 12, tzinfo=NEW_YORK)
    assert get_opening_status(campus, now=wednesday) == OpeningStatus(True, None)
    assert get_coming_exceptions(campus, days=7, now=wednesday) == [
        ("Thursday 27 November", "Closed (Thanksgiving)"),
        ("Friday 28 November", "Closed (Thanksgiving)"),
    ]


def test_special_hours_replace_the_week_on_their_date() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours=EVERY_DAY_8_TO_22)
    # Exam week: Monday 8 December open through the night until 2am, in two periods.
    do_set_special_hours(
        campus,
        days=[SpecialDaySpec(dt.date(2025, 12, 8), ((T(7), T(12)), (T(13), T(2))), "Exams")],
    )
    campus = _fresh_at(campus, dt.date(2025, 12, 1))
    monday_noon_30 = dt.datetime(2025, 12, 8, 12, 30, tzinfo=NEW_YORK)
    tuesday_1am = dt.datetime(2025, 12, 9, 1, 0, tzinfo=NEW_YORK)

    assert get_hours_today(campus, now=monday_noon_30) == "7am–12pm, 1pm–2am (Exams)"
    assert get_opening_status(campus, now=monday_noon_30) == OpeningStatus(False, "1pm")
    assert get_opening_status(campus, now=tuesday_1am).open_now is True
    assert get_hours_today(campus, now=tuesday_1am) == "8am–10pm"


def test_a_long_closure_names_the_date_it_opens_again() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={day: [(T(9), T(17))] for day in range(5)})
    do_set_closures(
        campus, closures=[ClosureSpec(dt.date(2025, 12, 22), dt.date(2026, 1, 2), "Winter break")]
    )
    campus = _fresh_at(campus, dt.date(2025, 12, 15))
    moment = dt.datetime(2025, 12, 23, 10, tzinfo=NEW_YORK)

    assert get_opening_status(campus, now=moment) == OpeningStatus(False, "9am on Monday 5 January")


def test_each_campus_is_read_in_its_own_zone() -> None:
    tokyo = _campus("tokyo", "Asia/Tokyo")
    new_york = _campus("north")
    for campus in (tokyo, new_york):
        do_set_weekly_hours(campus, hours=EVERY_DAY_8_TO_22)
    # 14:00 UTC on Monday 3 March 2025: 11pm in Tokyo, 9am in New York.
    moment = utc(2025, 3, 3, 14)

    assert get_opening_status(_fresh(tokyo), now=moment) == OpeningStatus(False, "8am tomorrow")
    assert get_opening_status(_fresh(new_york), now=moment) == OpeningStatus(True, None)


def _fresh_at(campus: Campus, day: dt.date) -> Campus:
    """The campus as the pages load it on ``day`` (only the exceptions still to come)."""
    with time_machine.travel(dt.datetime.combine(day, T(12), tzinfo=NEW_YORK), tick=False):
        return _fresh(campus)


def _said_everywhere(client: Client) -> dict[str, Any]:
    """What the ask page, its offline panel and ``GET /api/campuses`` say of north now."""
    html = client.get("/ask/north/").content.decode()
    (north,) = client.get("/api/campuses").json()["campuses"]
    today = re.search(r'<span id="hours-today">([^<]*)</span>', html)
    offline = re.search(r'<strong id="offline-hours">([^<]*)</strong>', html)
    opening = re.search(r'<p id="opening" class="opening">([^<]*)</p>', html)
    assert today and offline
    return {
        "page": today.group(1),
        "offline panel": offline.group(1),
        "api": north["hours_today"],
        "page opening": opening.group(1) if opening else "Open now.",
        "api opening": OpeningStatus(north["open_now"], north["opens_next"]).describe() + ".",
    }


@pytest.mark.parametrize(
    ("moment", "hours_today", "opening"),
    [
        # Saturday 8 March 2025, 9:30pm EST: open until 2am.
        (utc(2025, 3, 9, 2, 30), "8am–2am", "Open now."),
        # Sunday 9 March 1:30am EST: still Saturday's period; today is Sunday's hours.
        (utc(2025, 3, 9, 6, 30), "12pm–6pm", "Open now."),
        # Sunday 3:30am EDT, after the jump: closed until noon.
        (utc(2025, 3, 9, 7, 30), "12pm–6pm", "Closed now, opens at 12pm."),
        # Monday 10 March is closed for a storm; Tuesday opens at 8am.
        (utc(2025, 3, 10, 14), "Closed today (Storm)", "Closed now, opens at 8am tomorrow."),
    ],
)
def test_the_ask_page_its_offline_panel_and_the_api_give_one_answer_as_the_clock_moves(
    moment: dt.datetime, hours_today: str, opening: str
) -> None:
    campus = _campus()
    do_set_weekly_hours(
        campus,
        hours={
            **{day: [(T(8), T(22))] for day in range(5)},
            5: [(T(8), T(2))],
            6: [(T(12), T(18))],
        },
    )
    do_set_closures(
        campus, closures=[ClosureSpec(dt.date(2025, 3, 10), dt.date(2025, 3, 10), "Storm")]
    )

    with time_machine.travel(moment, tick=False):
        said = _said_everywhere(Client())

    assert said == {
        "page": hours_today,
        "offline panel": hours_today,
        "api": hours_today,
        "page opening": opening,
        "api opening": opening,
    }


def test_the_offline_panel_lists_the_closures_and_special_hours_of_the_next_month() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours=EVERY_DAY_8_TO_22)
    do_set_closures(
        campus,
        closures=[
            ClosureSpec(dt.date(2025, 12, 25), dt.date(2025, 12, 26), "Holidays <b>"),
            ClosureSpec(dt.date(2026, 3, 1), dt.date(2026, 3, 1), "Too far ahead"),
        ],
    )
    do_set_special_hours(campus, days=[SpecialDaySpec(dt.date(2025, 12, 24), ((T(8), T(12)),), "")])

    with time_machine.travel(dt.datetime(2025, 12, 20, 12, tzinfo=NEW_YORK), tick=False):
        html = Client().get("/ask/north/").content.decode()

    rows = re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>',
        html.split('id="coming-exceptions"')[1].split("</table>")[0],
    )
    assert rows == [
        ("Wednesday 24 December", "8am–12pm"),
        ("Thursday 25 December", "Closed (Holidays &lt;b&gt;)"),
        ("Friday 26 December", "Closed (Holidays &lt;b&gt;)"),
    ]
