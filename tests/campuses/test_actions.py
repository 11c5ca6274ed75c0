import datetime as dt

import pytest

from refdesk.campuses.actions import do_set_weekly_hours, do_upsert_campus
from refdesk.campuses.models import Campus, OpeningHours
from refdesk.core.errors import ActionError

pytestmark = pytest.mark.django_db

T = dt.time


def _campus(slug: str = "north") -> Campus:
    return do_upsert_campus(
        slug, name="North Campus Library", colour="#1f4e79", timezone="America/New_York"
    )


def _periods(campus: Campus) -> list[tuple[int, dt.time, dt.time]]:
    return list(campus.hours.order_by("weekday", "opens").values_list("weekday", "opens", "closes"))


def test_upsert_creates_a_campus_with_the_given_fields() -> None:
    campus = do_upsert_campus(
        "north",
        name="North Campus Library",
        colour="#1f4e79",
        timezone="America/Chicago",
        website="https://library.example.edu/north",
        position=3,
    )

    stored = Campus.objects.get(slug="north")
    assert stored.pk == campus.pk
    assert (stored.name, stored.colour, stored.timezone, stored.website, stored.position) == (
        "North Campus Library",
        "#1f4e79",
        "America/Chicago",
        "https://library.example.edu/north",
        3,
    )


def test_upsert_of_an_existing_slug_updates_that_campus_in_place() -> None:
    first = _campus()
    do_set_weekly_hours(first, hours={0: [(T(9), T(17))]})

    second = do_upsert_campus(
        "north", name="North Library", colour="#123456", timezone="America/New_York"
    )

    assert second.pk == first.pk
    assert Campus.objects.count() == 1
    stored = Campus.objects.get()
    assert (stored.name, stored.colour, stored.website, stored.position) == (
        "North Library",
        "#123456",
        "",
        0,
    )
    assert _periods(stored) == [(0, T(9), T(17))]


@pytest.mark.parametrize("colour", ["blue", "#12345", "#12345g", "1f4e79"])
def test_upsert_refuses_a_colour_that_is_not_rrggbb(colour: str) -> None:
    with pytest.raises(ActionError) as caught:
        do_upsert_campus("north", name="North", colour=colour, timezone="America/New_York")

    assert caught.value.code == "invalid"
    assert not Campus.objects.exists()


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_upsert_refuses_an_unknown_timezone(timezone: str) -> None:
    with pytest.raises(ActionError) as caught:
        do_upsert_campus("north", name="North", colour="#1f4e79", timezone=timezone)

    assert caught.value.code == "invalid"
    assert not Campus.objects.exists()


def test_set_weekly_hours_replaces_every_previous_period() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={0: [(T(8), T(22))], 6: [(T(12), T(18))]})

    do_set_weekly_hours(campus, hours={1: [(T(13), T(17)), (T(7, 30), T(12))], 5: [(T(10), T(18))]})

    assert _periods(campus) == [
        (1, T(7, 30), T(12)),
        (1, T(13), T(17)),
        (5, T(10), T(18)),
    ]


def test_set_weekly_hours_with_no_days_closes_the_campus_all_week() -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={0: [(T(8), T(22))]})

    do_set_weekly_hours(campus, hours={})

    assert _periods(campus) == []


def test_set_weekly_hours_leaves_other_campuses_alone() -> None:
    north, south = _campus("north"), _campus("south")
    do_set_weekly_hours(south, hours={2: [(T(9), T(17))]})

    do_set_weekly_hours(north, hours={0: [(T(8), T(22))]})

    assert _periods(south) == [(2, T(9), T(17))]


def test_set_weekly_hours_with_the_same_hours_keeps_the_rows() -> None:
    campus = _campus()
    hours = {0: [(T(8), T(22))], 4: [(T(8), T(17))]}
    do_set_weekly_hours(campus, hours=hours)
    before = list(OpeningHours.objects.order_by("pk").values_list("pk", flat=True))

    do_set_weekly_hours(campus, hours=hours)

    assert list(OpeningHours.objects.order_by("pk").values_list("pk", flat=True)) == before


@pytest.mark.parametrize(
    "hours",
    [
        {7: [(T(9), T(17))]},
        {-1: [(T(9), T(17))]},
        {0: [(T(9), T(13)), (T(12), T(17))]},
        {0: [(T(10), T(12)), (T(20), T(2))], 1: [(T(1), T(17))]},
        {6: [(T(20), T(9))], 0: [(T(8), T(17))]},
        {0: [(T(9), T(9)), (T(10), T(11))]},
    ],
    ids=[
        "weekday-7",
        "weekday-minus-1",
        "overlap",
        "late-into-next-day",
        "sunday-into-monday",
        "whole-day-and-more",
    ],
)
def test_set_weekly_hours_refuses_bad_hours_and_keeps_the_old_ones(
    hours: dict[int, list[tuple[dt.time, dt.time]]],
) -> None:
    campus = _campus()
    do_set_weekly_hours(campus, hours={0: [(T(8), T(22))]})

    with pytest.raises(ActionError) as caught:
        do_set_weekly_hours(campus, hours=hours)

    assert caught.value.code == "invalid"
    assert _periods(campus) == [(0, T(8), T(22))]
