"""The public campus list and the campus colour stylesheet."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian

pytestmark = pytest.mark.django_db


def test_the_campus_list_gives_hours_today_and_who_is_online(online: Librarian) -> None:
    body = Client().get("/api/campuses").json()
    north = next(c for c in body["campuses"] if c["slug"] == "north")
    assert north["online"] is True
    assert north["operators_online"] == 1
    assert north["hours_today"] == "8am–10pm"


def test_the_campus_stylesheet_has_a_rule_per_campus(make_campus: Any) -> None:
    make_campus("north", colour="#1f4e79")
    css = Client().get("/campuses.css")
    assert css["Content-Type"].startswith("text/css")
    assert ".campus-north{--campus-colour:#1f4e79;--campus-text:#ffffff}" in css.content.decode()
