"""The patron JSON API: POST /api/tickets, the offline form."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from refdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "campus": "north",
    "name": "Sam",
    "email": "sam@example.edu",
    "question": "Can I renew a laptop loan over the weekend?",
}


@pytest.fixture(autouse=True)
def _campus(make_campus: Callable[..., Any]) -> None:
    make_campus("north")


def post(client: Client, data: Any, **headers: str) -> Any:
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post("/api/tickets", body, content_type="application/json", headers=headers)


def test_filing_a_ticket_with_nobody_online_answers_201_with_its_id() -> None:
    response = post(
        Client(), {**FORM, "page_url": "https://lib.example.edu/north/?q=private", "browser": "b1"}
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {"ticket_id": ticket.pk}
    assert ticket.patron_email == "sam@example.edu"
    assert ticket.page_url == "https://lib.example.edu/north/"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({**FORM, "campus": "atlantis"}, 404, "unknown_campus"),
        ({**FORM, "question": ""}, 400, "invalid"),
        ({**FORM, "question": "x" * 4001}, 400, "too_long"),
        ({**FORM, "email": ""}, 400, "invalid"),
        ({**FORM, "email": "nope"}, 400, "invalid"),
        ({key: value for key, value in FORM.items() if key != "email"}, 400, "invalid"),
        ("{not json", 400, "bad_json"),
        ("[1, 2]", 400, "invalid"),
        ('"just a string"', 400, "invalid"),
        (json.dumps({**FORM, "question": "x" * 70_000}), 400, "too_long"),
    ],
)
def test_bad_requests_get_a_json_error_and_store_nothing(data: Any, status: int, code: str) -> None:
    response = post(Client(), data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert Ticket.objects.count() == 0


def test_a_field_error_names_the_field_for_the_form_to_point_at() -> None:
    response = post(Client(), {**FORM, "email": "sam@"})
    assert response.json()["field"] == "email"


def test_a_form_post_cannot_file_a_ticket() -> None:
    response = Client().post("/api/tickets", FORM)
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_a_post_from_a_foreign_site_is_refused() -> None:
    response = post(Client(), FORM, Origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Ticket.objects.count() == 0


def test_a_post_from_the_desk_itself_is_accepted() -> None:
    assert post(Client(), FORM, Origin="http://testserver").status_code == 201


def test_a_get_is_not_allowed() -> None:
    assert Client().get("/api/tickets").status_code == 405


def test_the_patron_address_is_stored_only_as_a_salted_hash() -> None:
    response = Client(REMOTE_ADDR="198.51.100.23").post(
        "/api/tickets", json.dumps(FORM), content_type="application/json"
    )
    ticket = Ticket.objects.get(pk=response.json()["ticket_id"])
    assert len(ticket.ip_hash) == 64
    assert "198.51.100.23" not in ticket.ip_hash


def test_hostile_text_comes_back_from_the_database_exactly_as_plain_text() -> None:
    hostile = {
        **FORM,
        "name": "Robert'); DROP TABLE tickets_ticket;--",
        "question": '<img src=x onerror="alert(1)"> \u0000 and \u202eevil',
    }
    response = post(Client(), hostile)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.patron_name == "Robert'); DROP TABLE tickets_ticket;--"
    assert ticket.question == '<img src=x onerror="alert(1)">  and evil'
