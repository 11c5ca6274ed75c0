"""``POST /api/chats/status``: the ask page asks on load whether this browser may chat,
since the page can see only the address. The answer is neutral, limited like the other
patron endpoints and origin-checked like ``POST /api/chats``; bad requests store nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.chats import actions as chat_actions
from refdesk.chats.models import Chat
from refdesk.core.models import RateCounter
from refdesk.safety import actions
from refdesk.safety.models import Block

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "203.0.113.9"
BROWSER = "3f1c9a4e-8d7b-4a52-9e0f-1b2c3d4e5f60"
AVAILABLE = {"available": True}
UNAVAILABLE = {"available": False, "message": actions.BLOCKED_MESSAGE}


def status(
    body: Any = None, *, address: str = ADDRESS, origin: str = "", content_type: str = ""
) -> Any:
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client(REMOTE_ADDR=address).post(
        "/api/chats/status",
        body if body is not None else {"browser": BROWSER},
        content_type=content_type or "application/json",
        **headers,
    )


@pytest.fixture
def blocked_browser(online: Librarian) -> Block:
    """A block of ``BROWSER`` taken on another address than ``ADDRESS``."""
    chat, _ = chat_actions.check_create_chat(
        campus_slug="north",
        name="Sam",
        email="",
        question="Help",
        address="198.51.100.7",
        browser_id=BROWSER,
    )
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    block, _ = actions.check_block_patron(online, chat_id=chat.pk, reason="Abuse", days=1)
    return block


def test_a_browser_blocked_on_another_address_is_told_neutrally_and_its_neighbour_is_not(
    blocked_browser: Block,
) -> None:
    refused = status()
    assert (refused.status_code, refused.json()) == (200, UNAVAILABLE)
    assert "Abuse" not in refused.content.decode()
    assert "block" not in refused.content.decode().lower()
    # Another browser at the same address: nobody the block names.
    other = status({"browser": "another-browser-id"})
    assert (other.status_code, other.json()) == (200, AVAILABLE)
    # No browser id at all: only the address counts.
    assert status({}).json() == AVAILABLE
    # The ask page itself, for that address, shows the form: only the script can tell.
    page = Client(REMOTE_ADDR=ADDRESS).get("/ask/north/")
    assert 'id="prechat" class="stack" novalidate>' in page.content.decode()


def test_a_blocked_address_is_unavailable_whatever_the_browser(
    blocked_browser: Block,
) -> None:
    assert status({"browser": "new-id"}, address="198.51.100.7").json() == UNAVAILABLE


def test_a_lifted_block_makes_the_browser_available_again(
    blocked_browser: Block, make_librarian: Callable[..., Librarian]
) -> None:
    boss = make_librarian("bo", role="supervisor")
    actions.check_lift_block(boss, blocked_browser.pk, note="Apologised")
    assert status().json() == AVAILABLE


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ('{"browser": ', "application/json", "bad_json"),
        ("[1, 2]", "application/json", "invalid"),
        ({"browser": 42}, "application/json", "invalid"),
        ({"browser": ["x"]}, "application/json", "invalid"),
        ("browser=abc", "application/x-www-form-urlencoded", "invalid"),
        ({"browser": "x" * 70_000}, "application/json", "too_long"),
    ],
)
def test_a_bad_request_is_refused_and_counts_nothing(
    body: Any, content_type: str, code: str
) -> None:
    answer = status(body, content_type=content_type)
    assert answer.status_code in {400, 413}
    assert answer.json()["code"] == code
    assert not RateCounter.objects.exists()


def test_another_site_may_not_ask() -> None:
    answer = status(origin="https://evil.example")
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    assert not RateCounter.objects.exists()
    assert status(origin="http://testserver").json() == AVAILABLE


@pytest.mark.parametrize(
    "odd", ["<script>alert(1)</script>", "x'; DROP TABLE chats_chat; --", "id\u200bwith\u202e"]
)
def test_an_odd_browser_id_is_treated_as_none_and_stores_nothing_of_it(odd: str) -> None:
    assert status({"browser": odd}).json() == AVAILABLE
    assert Chat.objects.count() == 0
    assert Block.objects.count() == 0


def test_the_question_is_rate_limited_per_browser_and_per_address(settings: Any) -> None:
    settings.REFDESK = {
        **settings.REFDESK,
        "STATUS_CHECKS_PER_BROWSER": 2,
        "STATUS_CHECKS_PER_ADDRESS": 3,
    }
    assert [status().status_code for _ in range(2)] == [200, 200]
    refused = status()
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert refused.json()["retry_after"] > 0
    # Another browser at the same address has the address's last one, then is refused.
    assert status({"browser": "second-browser"}).status_code == 200
    assert status({"browser": "third-browser"}).status_code == 429
