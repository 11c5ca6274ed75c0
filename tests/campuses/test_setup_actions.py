"""Closures, special hours, links, deletion and the audit trail of campus changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from refdesk.accounts.actions import do_add_librarian
from refdesk.campuses.actions import (
    ClosureSpec,
    LinkSpec,
    SpecialDaySpec,
    do_delete_campus,
    do_set_closures,
    do_set_links,
    do_set_special_hours,
    do_set_weekly_hours,
    do_upsert_campus,
)
from refdesk.campuses.models import Campus, CampusLink, Closure, SpecialHours
from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T = dt.time
D = dt.date


@pytest.fixture
def admin_user() -> Any:
    return get_user_model().objects.create_user("root", is_staff=True, is_superuser=True)


def _campus(**fields: Any) -> Campus:
    return do_upsert_campus(
        "north",
        **{"name": "North Library", "colour": "#1f4e79", "timezone": "America/New_York", **fields},
    )


def _audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_name", "action", "target_type", "target_repr", "changes"
        )
    )


def test_adding_and_changing_a_campus_is_audited_with_who_and_what(admin_user: Any) -> None:
    campus = _campus(actor=admin_user)
    _campus(name="North Library", actor=admin_user)  # the same: nothing to audit
    _campus(name="Northside Library", colour="#5b2a86", actor=admin_user)

    assert _audit() == [
        (
            "root",
            "campus.add",
            "campus",
            "North Library (north)",
            {
                "slug": "north",
                "name": "North Library",
                "colour": "#1f4e79",
                "timezone": "America/New_York",
                "website": "",
                "position": 0,
            },
        ),
        (
            "root",
            "campus.change",
            "campus",
            "Northside Library (north)",
            {"name": ["North Library", "Northside Library"], "colour": ["#1f4e79", "#5b2a86"]},
        ),
    ]
    assert AuditEntry.objects.filter(actor=admin_user).count() == 2
    assert AuditEntry.objects.first().target_id == str(campus.pk)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"colour": "#ffeb3b"},
            "colour",
            "#ffeb3b is too light to see on the white page (1.2:1; a campus colour needs "
            "3:1). Choose a darker shade.",
        ),
        ({"colour": "red"}, "colour", "A colour is #rrggbb, not 'red'."),
        ({"timezone": "Mars/Base"}, "timezone", "'Mars/Base' is not a known timezone."),
        ({"name": "   "}, "name", "A campus needs a name."),
    ],
)
def test_a_campus_field_it_cannot_have_is_refused_and_nothing_is_written(
    fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ActionError) as caught:
        _campus(**fields)

    assert (caught.value.code, caught.value.message, caught.value.extra) == (
        "invalid",
        message,
        {"field": field},
    )
    assert not Campus.objects.exists()
    assert _audit() == []


def test_closures_replace_the_old_ones_and_an_unchanged_set_writes_nothing() -> None:
    campus = _campus()
    do_set_closures(
        campus, closures=[ClosureSpec(D(2026, 11, 26), D(2026, 11, 27), "Thanksgiving")]
    )
    changed = do_set_closures(
        campus,
        closures=[
            ClosureSpec(D(2026, 12, 24), D(2027, 1, 1), " Winter break "),
            ClosureSpec(D(2026, 11, 26), D(2026, 11, 27), "Thanksgiving"),
        ],
    )
    rows = list(Closure.objects.order_by("pk").values_list("pk", "starts", "ends", "reason"))
    again = do_set_closures(
        campus,
        closures=[
            ClosureSpec(D(2026, 11, 26), D(2026, 11, 27), "Thanksgiving"),
            ClosureSpec(D(2026, 12, 24), D(2027, 1, 1), "Winter break"),
        ],
    )

    assert (changed, again) == (True, False)
    assert [row[1:] for row in rows] == [
        (D(2026, 11, 26), D(2026, 11, 27), "Thanksgiving"),
        (D(2026, 12, 24), D(2027, 1, 1), "Winter break"),
    ]
    assert (
        list(Closure.objects.order_by("pk").values_list("pk", "starts", "ends", "reason")) == rows
    )
    assert [entry[1:] for entry in _audit()][1:] == [
        ("campus.closures", "campus", "North Library (north)", {
            "before": [], "after": ["2026-11-26..2026-11-27 Thanksgiving"],
        }),
        ("campus.closures", "campus", "North Library (north)", {
            "before": ["2026-11-26..2026-11-27 Thanksgiving"],
            "after": ["2026-11-26..2026-11-27 Thanksgiving", "2026-12-24..2027-01-01 Winter break"],
        }),
    ]  # fmt: skip


def test_a_closure_that_ends_before_it_starts_is_refused_and_the_old_ones_stay() -> None:
    campus = _campus()
    do_set_closures(campus, closures=[ClosureSpec(D(2026, 11, 26), D(2026, 11, 26))])

    with pytest.raises(ActionError, match="ends before it starts"):
        do_set_closures(campus, closures=[ClosureSpec(D(2027, 1, 2), D(2026, 12, 31))])

    assert list(Closure.objects.values_list("starts", "ends")) == [
        (D(2026, 11, 26), D(2026, 11, 26))
    ]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([SpecialDaySpec(D(2026, 12, 7), ())], "Special hours for 2026-12-07 need a period"),
        (
            [
                SpecialDaySpec(D(2026, 12, 7), ((T(9), T(12)),)),
                SpecialDaySpec(D(2026, 12, 7), ((T(13), T(17)),)),
            ],
            "Special hours for 2026-12-07 are given twice.",
        ),
        (
            [SpecialDaySpec(D(2026, 12, 7), ((T(9), T(13)), (T(12), T(17))))],
            "Opening periods of 2026-12-07 overlap.",
        ),
        (
            [
                SpecialDaySpec(D(2026, 12, 7), ((T(20), T(9)),)),
                SpecialDaySpec(D(2026, 12, 8), ((T(8), T(17)),)),
            ],
            "The late period of 2026-12-07 runs into the next day's hours.",
        ),
    ],
)
def test_special_hours_that_cannot_be_are_refused_and_nothing_is_written(
    days: list[SpecialDaySpec], message: str
) -> None:
    campus = _campus()

    with pytest.raises(ActionError, match=message):
        do_set_special_hours(campus, days=days)

    assert not SpecialHours.objects.exists()


def test_special_hours_are_stored_a_row_per_period_with_the_day_note() -> None:
    campus = _campus()

    do_set_special_hours(
        campus, days=[SpecialDaySpec(D(2026, 12, 7), ((T(13), T(2)), (T(7), T(12))), "Exams")]
    )

    assert list(
        SpecialHours.objects.order_by("opens").values_list("date", "opens", "closes", "note")
    ) == [
        (D(2026, 12, 7), T(7), T(12), "Exams"),
        (D(2026, 12, 7), T(13), T(2), "Exams"),
    ]


def test_links_keep_their_order_and_only_http_addresses_are_taken() -> None:
    campus = _campus()
    do_set_links(
        campus,
        links=[
            LinkSpec("catalogue", "Catalogue", "https://search.example.edu/"),
            LinkSpec("home", "Home", "https://library.example.edu/"),
        ],
    )

    for bad, message in [
        (LinkSpec("home", "Home", "javascript:alert(1)"), "http or https address"),
        (LinkSpec("home", "  ", "https://x.example/"), "A link needs a title."),
        (LinkSpec("ads", "Buy", "https://x.example/"), "A link's kind is one of"),
    ]:
        with pytest.raises(ActionError, match=message):
            do_set_links(campus, links=[bad])

    assert list(CampusLink.objects.order_by("position").values_list("position", "kind", "url")) == [
        (0, "catalogue", "https://search.example.edu/"),
        (1, "home", "https://library.example.edu/"),
    ]


def test_a_campus_in_use_is_not_deleted_and_a_free_one_goes_with_its_hours(
    admin_user: Any,
) -> None:
    north = _campus()
    south = do_upsert_campus("south", name="South", colour="#1d5e3b", timezone="America/New_York")
    do_set_weekly_hours(south, hours={0: [(T(8), T(17))]})
    do_add_librarian("ana", password=None, campus=north)

    with pytest.raises(ActionError) as caught:
        do_delete_campus(north, actor=admin_user)
    do_delete_campus(south, actor=admin_user)

    assert (caught.value.code, caught.value.message) == (
        "in_use",
        "North Library has 1 librarian(s); move or remove them first.",
    )
    assert list(Campus.objects.values_list("slug", flat=True)) == ["north"]
    assert AuditEntry.objects.filter(action="campus.delete").values_list(
        "actor_name", "target_repr", "changes"
    ).get() == ("root", "South (south)", {"slug": "south", "name": "South"})
