"""Every field of every patron endpoint answers with a 2xx or a 4xx for any string: a lone
surrogate, a NUL, a control character or any other odd text never makes a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refdesk.accounts.models import Librarian
from refdesk.chats.models import Chat
from refdesk.tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.engines]

ODD = [
    "\ud800",
    "north\udfff",
    "\x00",
    "north\x00",
    "\x00north",
    "nor\u0000th",
    "\u202enorth",
    "\ufeff",
    "\u200b",
    "🦉",
    "north" * 40,
    "north' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "https://user:pw@lib.example.edu/a?b#c\ud800",
    "https://lib.example.edu/\x00",
    "javascript:alert(1)",
]
FIELDS = ["campus", "name", "email", "question", "page_url", "browser"]
BASE = {
    "campus": "north",
    "name": "Sam",
    "email": "sam@example.edu",
    "question": "Do you have APA guides?",
    "page_url": "https://lib.example.edu/north/",
    "browser": "b-1",
}
ENDPOINTS = ["/api/chats", "/api/tickets"]


def post(path: str, body: dict[str, Any], address: str) -> Any:
    # json.dumps writes a lone surrogate as the escape "\\ud800", as a hostile client would.
    return Client(REMOTE_ADDR=address).post(path, json.dumps(body), content_type="application/json")


def test_every_odd_string_in_every_field_gets_an_answer_not_a_500(
    online: Librarian, settings: Any
) -> None:
    settings.REFDESK = {
        **settings.REFDESK,
        "NEW_CHATS_PER_BROWSER": 10**6,
        "NEW_CHATS_PER_ADDRESS": 10**6,
        "NEW_TICKETS_PER_BROWSER": 10**6,
        "NEW_TICKETS_PER_ADDRESS": 10**6,
    }
    for path in ENDPOINTS:
        for field in FIELDS:
            for value in ODD:
                response = post(path, {**BASE, field: value}, "192.0.2.10")
                assert response.status_code < 500, (path, field, value, response.content)
                body = response.json()
                if response.status_code >= 400:
                    assert body["code"] and body["message"], body
    # Nothing stored carries a surrogate or a NUL.
    for row in [*Chat.objects.values(*BASE.keys() - {"campus", "name", "email", "browser"})]:
        for value in row.values():
            assert "\x00" not in value
            assert not any("\ud800" <= char <= "\udfff" for char in value)
    for ticket in Ticket.objects.all():
        assert "\x00" not in ticket.page_url + ticket.patron_name + ticket.question


def test_a_page_address_keeps_no_password_and_no_odd_characters(online: Librarian) -> None:
    response = post(
        "/api/chats",
        {**BASE, "page_url": "https://ana:hunter2@lib.example.edu:8443/north/?q=x#y"},
        "192.0.2.11",
    )
    assert response.status_code == 201
    chat = Chat.objects.get(pk=response.json()["chat_id"])
    assert chat.page_url == "https://lib.example.edu:8443/north/"
    for odd in ("https://lib.example.edu/a\ud800b", "https://lib.example.edu/a\x00b"):
        response = post("/api/chats", {**BASE, "page_url": odd}, "192.0.2.12")
        assert response.status_code == 201
        assert Chat.objects.get(pk=response.json()["chat_id"]).page_url == ""


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(ENDPOINTS),
    field=st.sampled_from(FIELDS),
    value=st.one_of(
        st.text(st.characters(codec=None, categories=None), max_size=80),
        st.text(alphabet=st.sampled_from(["\ud800", "\udc00", "\x00", "a", "-", "\u0301"])),
        st.integers(),
        st.none(),
        st.lists(st.text(max_size=3), max_size=2),
    ),
)
def test_any_value_in_any_field_gets_an_answer_not_a_500(
    online: Librarian, path: str, field: str, value: Any
) -> None:
    browser = f"h-{abs(hash(repr(value))) % 10**8}"
    response = post(path, {**BASE, field: value, "browser": browser}, "")
    assert response.status_code < 500, (path, field, value, response.content)
