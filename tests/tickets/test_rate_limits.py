"""New tickets are limited per browser and per address, with a clear error and retry_after."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from refdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _campus(make_campus: Callable[..., Any]) -> None:
    make_campus("north")


def file(browser: str, address: str = "192.0.2.10", **fields: str) -> Any:
    form = {
        "campus": "north",
        "email": "patron@example.edu",
        "question": "Please email me the hours.",
        "browser": browser,
        **fields,
    }
    return Client(REMOTE_ADDR=address).post(
        "/api/tickets", json.dumps(form), content_type="application/json"
    )


def test_a_fourth_ticket_from_one_browser_within_the_hour_is_refused_with_when_to_retry() -> None:
    assert [file("browser-a").status_code for _ in range(3)] == [201, 201, 201]
    refused = file("browser-a")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert 0 < body["retry_after"] <= 3600
    assert refused["Retry-After"] == str(body["retry_after"])
    assert "try again in" in body["message"]
    assert "minute" in body["message"]
    assert Ticket.objects.count() == 3


def test_the_browser_limit_does_not_touch_another_browser_at_the_same_address() -> None:
    for _ in range(4):
        file("browser-a")
    assert file("browser-b").status_code == 201


def test_a_lab_of_thirty_browsers_behind_one_address_can_each_file_a_ticket() -> None:
    statuses = [file(f"lab-pc-{i}", address="198.51.100.7").status_code for i in range(30)]
    assert statuses == [201] * 30
    assert Ticket.objects.count() == 30


def test_one_address_is_limited_to_sixty_new_tickets_an_hour() -> None:
    statuses = [file(f"pc-{i}", address="198.51.100.8").status_code for i in range(61)]
    assert statuses[:60] == [201] * 60
    refused = file("pc-new", address="198.51.100.8")
    assert statuses[60] == refused.status_code == 429
    assert 0 < refused.json()["retry_after"] <= 3600
    assert Ticket.objects.count() == 60


def test_another_address_is_not_affected() -> None:
    for i in range(61):
        file(f"pc-{i}", address="198.51.100.9")
    assert file("elsewhere", address="203.0.113.5").status_code == 201


def test_refused_forms_do_not_use_up_the_allowance() -> None:
    for _ in range(5):
        assert file("browser-c", email="not-an-email").status_code == 400
    assert [file("browser-c").status_code for _ in range(3)] == [201, 201, 201]


def test_the_limits_come_from_the_settings(settings: Any) -> None:
    settings.REFDESK = {**settings.REFDESK, "NEW_TICKETS_PER_BROWSER": 1}
    assert file("browser-d").status_code == 201
    assert file("browser-d").status_code == 429


def test_chats_and_tickets_are_counted_apart(online: Any) -> None:
    for _ in range(3):
        Client(REMOTE_ADDR="192.0.2.10").post(
            "/api/chats",
            json.dumps({"campus": "north", "question": "hi", "browser": "browser-e"}),
            content_type="application/json",
        )
    assert file("browser-e").status_code == 201


def test_no_counter_keeps_the_raw_address_or_browser_id() -> None:
    from refdesk.core.models import RateCounter

    file("my-browser-id", address="203.0.113.77")
    keys = " ".join(RateCounter.objects.values_list("key", flat=True))
    assert RateCounter.objects.count() == 2
    assert "203.0.113.77" not in keys
    assert "my-browser-id" not in keys


def test_a_script_that_changes_its_browser_id_each_time_is_held_by_the_address_limit(
    settings: Any,
) -> None:
    settings.REFDESK = {**settings.REFDESK, "NEW_TICKETS_PER_ADDRESS": 5}
    statuses = []
    for i in range(7):
        for browser in (f"forged-{i}", None, "\ud800"):
            response = Client(REMOTE_ADDR="198.51.100.9").post(
                "/api/tickets",
                json.dumps(
                    {
                        "campus": "north",
                        "email": "junk@example.edu",
                        "question": f"junk {i}",
                        "browser": browser,
                    }
                ),
                content_type="application/json",
            )
            statuses.append(response.status_code)
    assert statuses[:5] == [201] * 5
    assert set(statuses[5:]) == {429}
    assert Ticket.objects.count() == 5
