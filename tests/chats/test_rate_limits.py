"""New chats are limited per browser and per address, with a clear error and retry_after."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.chats.models import Chat

pytestmark = pytest.mark.django_db


def start(browser: str, address: str = "192.0.2.10") -> Any:
    return Client(REMOTE_ADDR=address).post(
        "/api/chats",
        json.dumps({"campus": "north", "question": "hi", "browser": browser}),
        content_type="application/json",
    )


def test_a_fourth_chat_from_one_browser_within_ten_minutes_is_refused(online: Librarian) -> None:
    assert [start("browser-a").status_code for _ in range(3)] == [201, 201, 201]
    refused = start("browser-a")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert 0 < body["retry_after"] <= 600
    assert refused["Retry-After"] == str(body["retry_after"])
    assert "minute" in body["message"]
    assert Chat.objects.count() == 3


def test_a_lab_of_thirty_browsers_behind_one_address_can_all_ask(online: Librarian) -> None:
    statuses = [start(f"lab-pc-{i}", address="198.51.100.7").status_code for i in range(30)]
    assert statuses == [201] * 30


def test_one_address_is_limited_to_sixty_new_chats_an_hour(online: Librarian) -> None:
    statuses = [start(f"pc-{i}", address="198.51.100.8").status_code for i in range(61)]
    assert statuses[:60] == [201] * 60
    assert statuses[60] == 429
    assert Chat.objects.count() == 60


def test_another_address_is_not_affected(online: Librarian) -> None:
    for i in range(61):
        start(f"pc-{i}", address="198.51.100.9")
    assert start("elsewhere", address="203.0.113.5").status_code == 201


def test_no_counter_keeps_the_raw_address_or_browser_id(online: Librarian) -> None:
    from refdesk.core.models import RateCounter

    start("my-browser-id", address="203.0.113.77")
    keys = " ".join(RateCounter.objects.values_list("key", flat=True))
    assert "203.0.113.77" not in keys
    assert "my-browser-id" not in keys
