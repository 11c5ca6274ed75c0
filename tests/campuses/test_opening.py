"""Whether a campus is open now, and when it next opens, as the patron's page says it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from refdesk.campuses.actions import do_set_weekly_hours
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import OpeningStatus, get_opening_status

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# Weekdays only, 8am to 10pm, and Saturday 10am to 4pm.
WEEK = {
    **{day: [(dt.time(8), dt.time(22))] for day in range(5)},
    5: [(dt.time(10), dt.time(16))],
}


@pytest.fixture
def north(make_campus: Any) -> Campus:
    campus: Campus = make_campus("north")
    do_set_weekly_hours(campus, hours=WEEK)
    return Campus.objects.prefetch_related("hours").get(pk=campus.pk)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in New York in the week of Monday 3 March 2025 (``day`` 0 is Monday)."""
    return dt.datetime(2025, 3, 3 + day, hour, minute, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("moment", "expected", "said"),
    [
        (at(0, 12), OpeningStatus(True, None), "Open now"),
        (at(0, 8), OpeningStatus(True, None), "Open now"),
        (at(0, 6, 30), OpeningStatus(False, "8am"), "Closed now, opens at 8am"),
        (at(0, 22), OpeningStatus(False, "8am tomorrow"), "Closed now, opens at 8am tomorrow"),
        (at(4, 23), OpeningStatus(False, "10am tomorrow"), "Closed now, opens at 10am tomorrow"),
        (at(5, 17), OpeningStatus(False, "8am on Monday"), "Closed now, opens at 8am on Monday"),
        (at(6, 9), OpeningStatus(False, "8am tomorrow"), "Closed now, opens at 8am tomorrow"),
    ],
)
def test_the_opening_status_follows_the_campus_hours_in_its_own_timezone(
    north: Campus, moment: dt.datetime, expected: OpeningStatus, said: str
) -> None:
    # Given in UTC: the campus's own timezone decides.
    status = get_opening_status(north, now=moment.astimezone(dt.UTC))
    assert status == expected
    assert status.describe() == said


def test_a_campus_without_hours_is_closed_with_no_opening(make_campus: Any) -> None:
    campus = make_campus("east")
    do_set_weekly_hours(campus, hours={})
    status = get_opening_status(Campus.objects.prefetch_related("hours").get(pk=campus.pk))
    assert status == OpeningStatus(False, None)
    assert status.describe() == "Closed now"


def test_the_campus_list_and_the_ask_page_say_when_a_closed_campus_opens(make_campus: Any) -> None:
    campus = make_campus("north")
    now = timezone.now().astimezone(NEW_YORK)
    # Open only tomorrow, from 8am: closed now, whatever the time of day the test runs.
    do_set_weekly_hours(campus, hours={(now.weekday() + 1) % 7: [(dt.time(8), dt.time(9))]})
    body = Client().get("/api/campuses").json()
    (north,) = body["campuses"]
    assert (north["open_now"], north["opens_next"]) == (False, "8am tomorrow")
    html = Client().get("/ask/north/").content.decode()
    assert '<p id="opening" class="opening">Closed now, opens at 8am tomorrow.</p>' in html


def test_an_open_campus_says_nothing_more(make_campus: Any) -> None:
    campus = make_campus("north")
    do_set_weekly_hours(campus, hours={d: [(dt.time(0), dt.time(23, 59))] for d in range(7)})
    now = timezone.now().astimezone(NEW_YORK)
    if now.time() >= dt.time(23, 59):  # pragma: no cover - the one minute of the day it is shut
        pytest.skip("the campus is shut in the last minute of the day")
    body = Client().get("/api/campuses").json()
    assert (body["campuses"][0]["open_now"], body["campuses"][0]["opens_next"]) == (True, None)
    assert 'id="opening"' not in Client().get("/ask/north/").content.decode()
