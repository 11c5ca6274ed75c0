"""The console page and the pages around it."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from refdesk.accounts.models import Librarian

pytestmark = pytest.mark.django_db


def test_the_console_asks_an_anonymous_visitor_to_log_in() -> None:
    response = Client().get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_librarian_logs_in_and_sees_the_console(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "ana", "password": "refdesk-demo"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/console/"
    html = response.content.decode()
    assert 'id="queue"' in html
    assert "Ana" in html


def test_a_wrong_password_says_so_and_does_not_log_in(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    response = Client().post("/accounts/login/", {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_a_login_post_without_a_csrf_token_is_refused(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "ana", "password": "refdesk-demo"})
    assert response.status_code == 403


def _logged_in(user: Any, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def test_a_user_without_a_librarian_profile_is_told_what_is_missing_and_who_can_add_it(
    make_campus: Any,
) -> None:
    make_campus("north")
    user = get_user_model().objects.create_user("visitor", password="x-long-password")
    response = _logged_in(user).get("/console/")
    assert response.status_code == 403
    html = response.content.decode()
    for words in (
        "Your account has no librarian profile",
        "logged in as <strong>visitor</strong>",
        "a display name",
        "a home campus",
        "a role (librarian, supervisor or admin)",
        'href="/admin/"',
        'under <a href="/admin/accounts/librarian/">Librarians</a>',
        "<code>refdesk librarian …</code>",
    ):
        assert words in html
    # Only a superuser is offered the form.
    assert '<form method="post" action="/console/profile/"' not in html


def test_a_superuser_without_a_profile_gives_themselves_one_and_the_console_opens(
    make_campus: Any,
) -> None:
    from refdesk.core.models import AuditEntry

    make_campus("north")
    make_campus("south")
    root = get_user_model().objects.create_superuser("root", "root@example.edu", "x-long-pass-1")
    client = _logged_in(root, enforce_csrf_checks=True)
    page = client.get("/console/")
    assert page.status_code == 403
    html = page.content.decode()
    assert '<form method="post" action="/console/profile/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # The first campus is chosen already.
    assert '<option value="north" selected>North Campus Library (north)</option>' in html
    assert '<option value="south">South Campus Library (south)</option>' in html

    # Without the CSRF token nothing happens.
    refused = client.post("/console/profile/", {"campus": "south", "display_name": "Root"})
    assert refused.status_code == 403
    assert not Librarian.objects.exists()

    token = client.cookies["csrftoken"].value
    response = client.post(
        "/console/profile/",
        {"campus": "south", "display_name": "  Rosa Root ", "csrfmiddlewaretoken": token},
    )
    assert (response.status_code, response["Location"]) == (302, "/console/")
    librarian = Librarian.objects.select_related("user", "home_campus").get()
    assert (librarian.user_id, librarian.display_name, librarian.home_campus.slug) == (
        root.pk,
        "Rosa Root",
        "south",
    )
    assert librarian.role == "admin"
    assert (librarian.user.is_staff, librarian.user.is_superuser) == (True, True)
    assert list(
        AuditEntry.objects.filter(target_type="librarian").values_list(
            "actor_id", "action", "target_id", "changes"
        )
    ) == [
        (
            root.pk,
            "librarian.add",
            str(librarian.pk),
            {"username": "root", "home_campus": "south", "role": "admin"},
        )
    ]
    console = client.get("/console/")
    assert console.status_code == 200
    assert 'id="queue"' in console.content.decode()


def test_a_superuser_s_blank_display_name_becomes_the_username(make_campus: Any) -> None:
    make_campus("north")
    root = get_user_model().objects.create_superuser("root", "", "x-long-pass-1")
    response = _logged_in(root).post("/console/profile/", {"campus": "north", "display_name": ""})
    assert response.status_code == 302
    assert Librarian.objects.get().display_name == "Root"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"campus": "atlantis", "display_name": "Root"}, "Select a valid choice."),
        ({"display_name": "Root"}, "This field is required."),
        ({"campus": "north", "display_name": "R" * 81}, "Display name is 81 characters"),
    ],
)
def test_a_superuser_s_profile_form_with_a_mistake_says_so_and_writes_nothing(
    make_campus: Any, data: dict[str, str], message: str
) -> None:
    make_campus("north")
    root = get_user_model().objects.create_superuser("root", "", "x-long-pass-1")
    response = _logged_in(root).post("/console/profile/", data)
    assert response.status_code == 403
    assert message in response.content.decode()
    assert not Librarian.objects.exists()


def test_a_superuser_without_any_campus_is_sent_to_add_one_first() -> None:
    root = get_user_model().objects.create_superuser("root", "", "x-long-pass-1")
    client = _logged_in(root)
    html = client.get("/console/").content.decode()
    assert "There is no campus yet" in html
    assert 'href="/admin/campuses/campus/add/"' in html
    assert '<form method="post" action="/console/profile/"' not in html
    assert client.post("/console/profile/", {"campus": "north"}).status_code == 403
    assert not Librarian.objects.exists()


def test_only_a_superuser_without_a_profile_may_add_one_for_themselves(
    make_campus: Any, make_librarian: Callable[..., Librarian]
) -> None:
    make_campus("north")
    visitor = get_user_model().objects.create_user("visitor", password="x-long-password")
    staff = get_user_model().objects.create_user("clerk", password="x-long-pass", is_staff=True)
    for user in (visitor, staff):
        response = _logged_in(user).post("/console/profile/", {"campus": "north"})
        assert response.status_code == 403
        assert "Only an admin of the desk can add it" in response.content.decode()
    ana = make_librarian("ana")
    response = _logged_in(ana.user).post("/console/profile/", {"campus": "north"})
    assert (response.status_code, response["Location"]) == (302, "/console/")
    assert list(Librarian.objects.values_list("user__username", "role")) == [("ana", "librarian")]
    anonymous = Client().post("/console/profile/", {"campus": "north"})
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        "/accounts/login/?next=/console/",
    )
    assert Client().get("/console/profile/").status_code == 405


def test_the_home_page_links_every_campus_and_the_console(make_campus: Any) -> None:
    make_campus("north")
    make_campus("south")
    html = Client().get("/").content.decode()
    for link in (
        'href="/ask/north/"',
        'href="/ask/south/"',
        'href="/console/"',
        'href="/example/north/"',
    ):
        assert link in html


class _Resources(HTMLParser):
    """Collects the addresses a page loads (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source"} and found.get("src"):
            self.loaded.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.loaded.append(found["href"] or "")


def test_no_page_loads_anything_from_another_site(make_campus: Any) -> None:
    make_campus("north")
    for url in ("/", "/ask/north/", "/accounts/login/", "/example/north/"):
        parser = _Resources()
        parser.feed(Client().get(url).content.decode())
        assert parser.loaded, url
        foreign = [src for src in parser.loaded if not src.startswith("/")]
        assert foreign == [], url


def test_the_console_carries_the_thresholds_of_the_chat_timers(
    make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    settings.REFDESK = {
        **settings.REFDESK,
        "DEAD_AIR_AMBER_SECONDS": 45,
        "DEAD_AIR_RED_SECONDS": 90,
        "SILENT_PATRON_MINUTES": 2.5,
        "SILENT_PATRON_END_MINUTES": 4,
    }
    client = Client()
    client.force_login(make_librarian("ana").user)
    html = client.get("/console/").content.decode()
    assert 'data-dead-air-amber-ms="45000"' in html
    assert 'data-dead-air-red-ms="90000"' in html
    assert 'data-silent-ask-ms="150000"' in html
    assert 'data-silent-end-ms="240000"' in html
