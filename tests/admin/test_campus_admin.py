"""The campus admin: an admin sets a campus up through the actions, every change audited;
bad input is a form error with nothing written; supervisors read; librarians are sent to
the admin's login."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus, CampusLink, Closure, OpeningHours, SpecialHours
from refdesk.chats.actions import do_create_chat
from refdesk.core.models import AuditEntry
from tests.admin.support import audit_rows, campus_form, errors_of

ADD = "/admin/campuses/campus/add/"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SIX_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
LIST = "/admin/campuses/campus/"


def change_url(campus: Campus) -> str:
    return f"/admin/campuses/campus/{campus.pk}/change/"


def delete_url(campus: Campus) -> str:
    return f"/admin/campuses/campus/{campus.pk}/delete/"


def campus_rows() -> dict[str, Any]:
    """Every campus row and every row of its hours, closures, special hours and links."""
    return {
        "campuses": list(
            Campus.objects.order_by("slug").values_list(
                "slug", "name", "colour", "timezone", "website", "position"
            )
        ),
        "hours": list(
            OpeningHours.objects.order_by("campus__slug", "weekday", "opens").values_list(
                "campus__slug", "weekday", "opens", "closes"
            )
        ),
        "closures": list(
            Closure.objects.order_by("starts").values_list(
                "campus__slug", "starts", "ends", "reason"
            )
        ),
        "special": list(
            SpecialHours.objects.order_by("date", "opens").values_list(
                "campus__slug", "date", "opens", "closes", "note"
            )
        ),
        "links": list(
            CampusLink.objects.order_by("campus__slug", "position").values_list(
                "campus__slug", "kind", "title", "url", "position"
            )
        ),
    }


@pytest.mark.django_db
def test_an_admin_adds_a_campus_with_its_week_closures_special_hours_and_links(
    admin_client: Client, root: Librarian
) -> None:
    before = audit_rows()
    data = campus_form(
        closures=[{"starts": "2026-12-24", "ends": "2027-01-01", "reason": "Winter break"}],
        special=[
            {"date": "2026-12-23", "opens": "10:00", "closes": "14:00", "note": "Short day"},
            {"date": "2026-12-23", "opens": "15:00", "closes": "16:00", "note": ""},
        ],
        links=[
            {
                "kind": "catalogue",
                "title": "Catalogue",
                "url": "https://cat.example.edu/",
                "position": "1",
            },
            {"kind": "home", "title": "Home", "url": "https://example.edu/", "position": "0"},
        ],
        saturday="20:00-02:00",
    )
    response = admin_client.post(ADD, data)

    assert response.status_code == 302, errors_of(response)
    assert response["Location"] == LIST
    rows = campus_rows()
    assert (
        "east",
        "East Campus Library",
        "#1f4e79",
        "America/Chicago",
        "https://library.example.edu/east",
        3,
    ) in rows["campuses"]
    assert [row for row in rows["hours"] if row[0] == "east"] == [
        ("east", 0, dt.time(8), dt.time(12)),
        ("east", 0, dt.time(13), dt.time(22)),
        ("east", 5, dt.time(20), dt.time(2)),
    ]
    assert rows["closures"] == [
        ("east", dt.date(2026, 12, 24), dt.date(2027, 1, 1), "Winter break")
    ]
    assert rows["special"] == [
        ("east", dt.date(2026, 12, 23), dt.time(10), dt.time(14), "Short day"),
        ("east", dt.date(2026, 12, 23), dt.time(15), dt.time(16), "Short day"),
    ]
    assert rows["links"] == [
        ("east", "home", "Home", "https://example.edu/", 0),
        ("east", "catalogue", "Catalogue", "https://cat.example.edu/", 1),
    ]
    target = "East Campus Library (east)"
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "campus.add",
            target,
            {
                "slug": "east",
                "name": "East Campus Library",
                "colour": "#1f4e79",
                "timezone": "America/Chicago",
                "website": "https://library.example.edu/east",
                "position": 3,
            },
        ),
        (
            "root",
            "campus.hours",
            target,
            {
                "before": {},
                "after": {"Monday": "08:00-12:00, 13:00-22:00", "Saturday": "20:00-02:00"},
            },
        ),
        (
            "root",
            "campus.closures",
            target,
            {"before": [], "after": ["2026-12-24..2027-01-01 Winter break"]},
        ),
        (
            "root",
            "campus.special_hours",
            target,
            {
                "before": [],
                "after": ["2026-12-23 10:00-14:00 Short day", "2026-12-23 15:00-16:00 Short day"],
            },
        ),
        (
            "root",
            "campus.links",
            target,
            {
                "before": [],
                "after": ["Home <https://example.edu/>", "Catalogue <https://cat.example.edu/>"],
            },
        ),
    ]
    assert AuditEntry.objects.get(action="campus.add", target_repr=target).actor_id == root.user_id


@pytest.mark.django_db
def test_an_admin_renames_a_campus_and_changes_its_hours_with_one_save(
    admin_client: Client,
) -> None:
    north = Campus.objects.get(slug="north")
    page = admin_client.get(change_url(north))
    assert page.status_code == 200
    # The week's text fields show the stored hours.
    assert page.context["adminform"].form.initial["monday"] == "08:00-22:00"
    before = audit_rows()
    data = campus_form(
        slug="north-main",
        name="North Main Library",
        colour="#1f4e79",
        timezone="America/New_York",
        website="",
        position="0",
        **dict.fromkeys(SIX_DAYS, "08:00-22:00"),
        sunday="12:00-18:00",
    )
    response = admin_client.post(change_url(north), data)

    assert response.status_code == 302, errors_of(response)
    north.refresh_from_db()
    assert (north.slug, north.name) == ("north-main", "North Main Library")
    assert list(north.hours.filter(weekday=6).values_list("opens", "closes")) == [
        (dt.time(12), dt.time(18))
    ]
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "campus.change",
            "North Campus Library (north-main)",
            {"slug": ["north", "north-main"]},
        ),
        (
            "root",
            "campus.change",
            "North Main Library (north-main)",
            {"name": ["North Campus Library", "North Main Library"]},
        ),
        (
            "root",
            "campus.hours",
            "North Main Library (north-main)",
            {
                "before": dict.fromkeys(DAYS, "08:00-22:00"),
                "after": {**dict.fromkeys(DAYS[:6], "08:00-22:00"), "Sunday": "12:00-18:00"},
            },
        ),
    ]


@pytest.mark.django_db
def test_saving_a_campus_unchanged_writes_nothing(admin_client: Client) -> None:
    north = Campus.objects.get(slug="north")
    before, rows = audit_rows(), campus_rows()
    data = campus_form(
        slug="north",
        name="North Campus Library",
        timezone="America/New_York",
        website="",
        position="0",
        **dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            "08:00-22:00",
        ),
    )
    response = admin_client.post(change_url(north), data)
    assert response.status_code == 302, errors_of(response)
    assert (audit_rows(), campus_rows()) == (before, rows)


# ---------------------------------------------------------------------------
# Staff notes (the campus panel's cheat sheet)
# ---------------------------------------------------------------------------


def _north_form(**fields: str) -> dict[str, str]:
    """North's page as stored (every day 08:00-22:00), with ``fields`` replaced."""
    return campus_form(
        slug="north",
        name="North Campus Library",
        timezone="America/New_York",
        website="",
        position="0",
        **dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            "08:00-22:00",
        ),
        **fields,
    )


@pytest.mark.django_db
def test_an_admin_sets_the_staff_notes_through_the_action_audited(admin_client: Client) -> None:
    north = Campus.objects.get(slug="north")
    before, rows = audit_rows(), campus_rows()
    notes = "Laptops: 4-hour loans.\r\nGroup rooms: book online."
    response = admin_client.post(change_url(north), _north_form(staff_notes=notes))
    assert response.status_code == 302, errors_of(response)
    north.refresh_from_db()
    assert north.staff_notes == "Laptops: 4-hour loans.\nGroup rooms: book online."
    assert campus_rows() == rows
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "campus.staff_notes",
            "North Campus Library (north)",
            {"staff_notes": ["", "Laptops: 4-hour loans.\nGroup rooms: book online."]},
        ),
    ]
    assert "Group rooms: book online." in admin_client.get(change_url(north)).content.decode()


@pytest.mark.django_db
def test_staff_notes_over_the_limit_are_a_form_error_and_nothing_is_written(
    admin_client: Client,
) -> None:
    north = Campus.objects.get(slug="north")
    before, rows = audit_rows(), campus_rows()
    response = admin_client.post(change_url(north), _north_form(staff_notes="x" * 4001))
    assert response.status_code == 200
    assert "4,001 characters; the limit is 4,000." in errors_of(response)
    north.refresh_from_db()
    assert (north.staff_notes, audit_rows(), campus_rows()) == ("", before, rows)


@pytest.mark.django_db
def test_an_admin_deletes_a_campus_nobody_uses(admin_client: Client, make_campus: Any) -> None:
    east = make_campus("east")
    before = audit_rows()
    assert admin_client.get(delete_url(east)).status_code == 200
    response = admin_client.post(delete_url(east), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not Campus.objects.filter(slug="east").exists()
    assert not OpeningHours.objects.filter(campus_id=east.pk).exists()
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "campus.delete",
            "East Campus Library (east)",
            {"slug": "east", "name": "East Campus Library"},
        ),
    ]


@pytest.mark.django_db
def test_deleting_a_campus_in_use_is_refused_with_a_message_and_nothing_changes(
    admin_client: Client,
) -> None:
    north = Campus.objects.get(slug="north")
    do_create_chat(north, patron_name="Sam", patron_email="", question="Hello?")
    before, rows = audit_rows(), campus_rows()
    response = admin_client.post(delete_url(north), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(change_url(north), 302)]
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [
        "Not deleted: North Campus Library has 1 librarian(s), 1 chat(s); move or remove "
        "them first."
    ]
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
def test_the_campus_list_shows_colour_timezone_hours_today_and_open_now(
    admin_client: Client,
) -> None:
    page = admin_client.get(LIST).content.decode()
    assert '<span class="campus-swatch campus-north">#1f4e79</span>' in page
    assert "America/New_York" in page
    assert "8am–10pm" in page
    assert "open now" in page.lower()
    assert 'href="/campuses.css"' in page


BAD_INPUT = {
    "colour too light": ({"colour": "#f0f0f0"}, "too light to see on the white page"),
    "colour not a colour": ({"colour": "red"}, "#rrggbb"),
    "unknown timezone": ({"timezone": "Mars/Olympus_Mons"}, "Select a valid choice"),
    "slug with capitals": ({"slug": "East"}, "lower-case letters, digits and hyphens"),
    "slug taken": ({"slug": "north"}, "Campus with this Slug already exists"),
    "overlapping hours": ({"monday": "08:00-12:00, 11:00-14:00"}, "Monday overlap"),
    "late period into the next day": (
        {"monday": "20:00-09:00", "tuesday": "08:00-12:00"},
        "The late period of Monday runs into the next day's hours",
    ),
    "malformed period": ({"tuesday": "8am-5pm"}, "'8am-5pm' is not a period"),
    "hour 24": ({"tuesday": "09:00-24:00"}, "'09:00-24:00' is not a period"),
    "empty period between commas": ({"tuesday": "09:00-12:00,,13:00-14:00"}, "empty period"),
    "website not http": ({"website": "ftp://files.example.edu/"}, "http:// or https://"),
    "name of nothing but zero-width characters": ({"name": "\u200b\u200d"}, "required"),
    "name with a direction override": (
        {"name": "East \u202egnp.exe"},
        "Remove the invisible or control characters",
    ),
    "name with a control character": ({"name": "East\x07Library"}, "Remove the invisible"),
}
BAD_INLINES = {
    "closure ending before it starts": (
        {"closures": [{"starts": "2026-12-24", "ends": "2026-12-20", "reason": ""}]},
        "The closure ends (2026-12-20) before it starts (2026-12-24).",
    ),
    "special hours overlapping": (
        {
            "special": [
                {"date": "2026-12-23", "opens": "10:00", "closes": "14:00", "note": ""},
                {"date": "2026-12-23", "opens": "13:00", "closes": "15:00", "note": ""},
            ]
        },
        "Opening periods of 2026-12-23 overlap.",
    ),
    "ftp link": (
        {
            "links": [
                {"kind": "home", "title": "Files", "url": "ftp://x.example.edu/", "position": "0"}
            ]
        },
        "http:// or https://",
    ),
    "javascript link": (
        {
            "links": [
                {"kind": "home", "title": "Evil", "url": "javascript:alert(1)", "position": "0"}
            ]
        },
        "Enter a valid URL",
    ),
    "link of an unknown kind": (
        {
            "links": [
                {"kind": "bogus", "title": "X", "url": "https://x.example.edu/", "position": "0"}
            ]
        },
        "Select a valid choice",
    ),
    "link title with a bidi override": (
        {
            "links": [
                {
                    "kind": "home",
                    "title": "\u202eevil",
                    "url": "https://x.example.edu/",
                    "position": "0",
                }
            ]
        },
        "Remove the invisible",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_campus_fields_are_form_errors_and_nothing_is_written(
    admin_client: Client, fields: dict[str, str], message: str
) -> None:
    before, rows = audit_rows(), campus_rows()
    response = admin_client.post(ADD, campus_form(**fields))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
@pytest.mark.parametrize(("inlines", "message"), BAD_INLINES.values(), ids=BAD_INLINES.keys())
def test_bad_closures_special_hours_and_links_are_form_errors_and_nothing_is_written(
    admin_client: Client, inlines: dict[str, Any], message: str
) -> None:
    before, rows = audit_rows(), campus_rows()
    response = admin_client.post(ADD, campus_form(**inlines))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
def test_a_bad_inline_on_a_change_leaves_the_campus_s_own_fields_unchanged(
    admin_client: Client,
) -> None:
    north = Campus.objects.get(slug="north")
    before, rows = audit_rows(), campus_rows()
    data = campus_form(
        slug="north",
        name="Renamed",
        links=[{"kind": "home", "title": "X", "url": "ftp://x.example.edu/", "position": "0"}],
    )
    response = admin_client.post(change_url(north), data)
    assert response.status_code == 200
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
def test_html_in_a_campus_name_is_stored_as_text_and_shown_escaped(admin_client: Client) -> None:
    name = '<script>alert("x")</script> Library'
    response = admin_client.post(ADD, campus_form(name=name))
    assert response.status_code == 302, errors_of(response)
    assert Campus.objects.get(slug="east").name == name
    for url in (LIST, change_url(Campus.objects.get(slug="east"))):
        page = admin_client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Library" in page


# ---------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_supervisor_reads_campuses_and_can_change_nothing(supervisor_client: Client) -> None:
    north = Campus.objects.get(slug="north")
    assert supervisor_client.get(LIST).status_code == 200
    page = supervisor_client.get(change_url(north))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Monday: 8am–10pm" in text
    assert 'name="name"' not in text
    assert 'name="_save"' not in text
    before, rows = audit_rows(), campus_rows()
    for method, url in (
        ("get", ADD),
        ("post", ADD),
        ("post", change_url(north)),
        ("get", delete_url(north)),
        ("post", delete_url(north)),
    ):
        data = campus_form(slug="north", name="X") if method == "post" else None
        response = getattr(supervisor_client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
def test_a_librarian_is_sent_to_the_admin_login_for_every_campus_page(
    librarian_client: Client,
) -> None:
    north = Campus.objects.get(slug="north")
    before, rows = audit_rows(), campus_rows()
    for method in ("get", "post"):
        for url in (LIST, ADD, change_url(north), delete_url(north)):
            data = campus_form(slug="north") if method == "post" else None
            response = getattr(librarian_client, method)(url, data)
            assert response.status_code == 302, (method, url)
            assert response["Location"] == f"/admin/login/?next={url}"
    assert (audit_rows(), campus_rows()) == (before, rows)


@pytest.mark.django_db
def test_the_campus_list_offers_no_bulk_delete(admin_client: Client) -> None:
    response = admin_client.post(
        LIST, {"action": "delete_selected", "_selected_action": ["1"], "index": "0"}
    )
    assert Campus.objects.filter(slug="north").exists()
    assert response.status_code in {200, 302}
    assert "delete_selected" not in admin_client.get(LIST).content.decode()


@pytest.mark.django_db
def test_the_home_page_of_a_desk_without_campuses_links_to_the_campus_add_page(
    client: Client, admin_client: Client
) -> None:
    Librarian.objects.all().delete()
    Campus.objects.all().delete()
    page = client.get("/").content.decode()
    assert '<a href="/admin/campuses/campus/add/">add one in the admin</a>' in page
    assert admin_client.get("/admin/campuses/campus/add/").status_code == 200
