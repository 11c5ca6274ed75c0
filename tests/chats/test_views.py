"""The patron JSON API: POST /api/chats."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.chats.models import Chat
from refdesk.chats.selectors import get_chat_by_token

pytestmark = pytest.mark.django_db


def post(client: Client, data: Any, **headers: str) -> Any:
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post("/api/chats", body, content_type="application/json", headers=headers)


def test_starting_a_chat_answers_201_with_a_token_for_that_chat(online: Librarian) -> None:
    response = post(
        Client(),
        {
            "campus": "north",
            "name": "Sam",
            "email": "sam@example.edu",
            "question": "Do you have APA guides?",
            "page_url": "https://lib.example.edu/north/?session=abc",
        },
    )
    assert response.status_code == 201
    body = response.json()
    chat = get_chat_by_token(body["token"])
    assert chat is not None
    assert chat.pk == body["chat_id"]
    assert chat.page_url == "https://lib.example.edu/north/"


def test_with_nobody_online_the_answer_is_409_offline_with_hours(make_campus: Any) -> None:
    make_campus("north")
    response = post(Client(), {"campus": "north", "question": "hello"})
    assert response.status_code == 409
    assert response.json()["code"] == "offline"
    assert response.json()["hours_today"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"campus": "atlantis", "question": "hi"}, 404, "unknown_campus"),
        ({"campus": "north", "question": ""}, 400, "invalid"),
        ({"campus": "north", "question": "x" * 4001}, 400, "too_long"),
        ("{not json", 400, "bad_json"),
        ("[1, 2]", 400, "invalid"),
        ({"campus": "north", "question": "hi", "email": "nope"}, 400, "invalid"),
        ({"campus": "north' OR 1=1 --", "question": "hi"}, 404, "unknown_campus"),
    ],
)
def test_bad_requests_get_a_json_error_and_store_nothing(
    online: Librarian, data: Any, status: int, code: str
) -> None:
    response = post(Client(), data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert Chat.objects.count() == 0


def test_a_form_post_cannot_start_a_chat(online: Librarian) -> None:
    response = Client().post("/api/chats", {"campus": "north", "question": "hi"})
    assert response.status_code == 400
    assert Chat.objects.count() == 0


def test_a_post_from_a_foreign_site_is_refused(online: Librarian) -> None:
    response = post(Client(), {"campus": "north", "question": "hi"}, Origin="https://evil.example")
    assert response.status_code == 403
    assert Chat.objects.count() == 0


def test_a_get_is_not_allowed() -> None:
    assert Client().get("/api/chats").status_code == 405


def test_the_patron_address_is_stored_only_as_a_salted_hash(online: Librarian) -> None:
    response = Client(REMOTE_ADDR="198.51.100.23").post(
        "/api/chats",
        json.dumps({"campus": "north", "question": "hi"}),
        content_type="application/json",
    )
    chat = Chat.objects.get(pk=response.json()["chat_id"])
    assert chat.ip_hash
    assert "198.51.100.23" not in chat.ip_hash
    assert len(chat.ip_hash) == 64
