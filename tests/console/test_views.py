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


def test_a_user_without_a_librarian_profile_is_refused_the_console() -> None:
    user = get_user_model().objects.create_user("visitor", password="x-long-password")
    client = Client()
    client.force_login(user)
    assert client.get("/console/").status_code == 403


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
