"""The waiting queue on the staff socket under a flood: a bounded snapshot, counts, paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat
from tests.support import answer_to, open_staff, receive_until, staff_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def flood(count: int, *, campuses: tuple[str, ...] = ("north", "south")) -> list[int]:
    """``count`` waiting chats, one second apart and oldest first, spread over ``campuses``."""
    from refdesk.campuses.models import Campus

    found = {slug: Campus.objects.get(slug=slug) for slug in campuses}
    start = timezone.now() - dt.timedelta(hours=2)
    ids = []
    for i in range(count):
        chat, _token = actions.do_create_chat(
            found[campuses[i % len(campuses)]],
            patron_name=f"Spam {i}",
            patron_email="",
            question="Cheap watches",
        )
        Chat.objects.filter(pk=chat.pk).update(created_at=start + dt.timedelta(seconds=i))
        ids.append(chat.pk)
    return ids


def page_size(settings: Any, size: int) -> None:
    settings.REFDESK = {**settings.REFDESK, "SNAPSHOT_WAITING": size}


@pytest.fixture
def people(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    return {
        "ana": make_librarian("ana", campus="north"),
        "ben": make_librarian("ben", campus="south"),
        "dee": make_librarian("dee", campus="north", role="supervisor"),
    }


@pytest.mark.engines
async def test_the_snapshot_holds_the_newest_hundred_waiting_chats_and_counts_them_all(
    people: dict[str, Librarian],
) -> None:
    ids = await database_sync_to_async(flood)(130)
    claimed, ended = ids[-1], ids[-2]
    await database_sync_to_async(actions.do_claim_chat)(claimed, acting_librarian=people["ben"])
    chat = await database_sync_to_async(Chat.objects.get)(pk=ended)
    await database_sync_to_async(actions.do_end_chat)(chat, reason="patron_left")
    waiting = ids[:-2]

    ws, snapshot = await open_staff(people["ana"])
    await ws.disconnect()
    # The newest hundred, oldest first within the page, as before the flood.
    assert [c["id"] for c in snapshot["waiting"]] == waiting[-100:]
    assert snapshot["waiting_total"] == 128
    assert snapshot["waiting_by_campus"] == {"north": 64, "south": 64}


async def test_the_snapshot_page_is_a_setting(people: dict[str, Librarian], settings: Any) -> None:
    page_size(settings, 3)
    ids = await database_sync_to_async(flood)(5)
    ws, snapshot = await open_staff(people["ana"])
    await ws.disconnect()
    assert [c["id"] for c in snapshot["waiting"]] == ids[-3:]
    assert snapshot["waiting_total"] == 5


@pytest.mark.engines
async def test_queue_list_pages_back_through_every_waiting_chat_without_gaps_or_repeats(
    people: dict[str, Librarian], settings: Any
) -> None:
    page_size(settings, 7)
    ids = await database_sync_to_async(flood)(30)
    ws, snapshot = await open_staff(people["ana"])
    seen = [c["id"] for c in snapshot["waiting"]]
    more = True
    pages = 0
    while more:
        ack = await answer_to(ws, {"type": "queue.list", "before": seen[0]})
        assert ack["type"] == "ack", ack
        page = [c["id"] for c in ack["waiting"]]
        assert len(page) <= 7
        assert all(c["state"] == "waiting" for c in ack["waiting"])
        seen = page + seen
        more = ack["more"]
        pages += 1
    await ws.disconnect()
    assert seen == ids
    assert pages == 4  # 7 + 7 + 7 + 7 + 2


async def test_queue_list_without_a_cursor_gives_the_newest_page_of_one_campus(
    people: dict[str, Librarian], settings: Any
) -> None:
    page_size(settings, 4)
    ids = await database_sync_to_async(flood)(12, campuses=("north", "south", "south"))
    north = [chat_id for i, chat_id in enumerate(ids) if i % 3 == 0]
    ws, snapshot = await open_staff(people["ana"])
    assert snapshot["waiting_by_campus"] == {"north": 4, "south": 8}
    newest = await answer_to(ws, {"type": "queue.list", "campus": "north"})
    assert ([c["id"] for c in newest["waiting"]], newest["more"]) == (north, False)
    assert {c["campus"] for c in newest["waiting"]} == {"north"}
    # A cursor from another campus's chat is a position in the queue like any other.
    older = await answer_to(ws, {"type": "queue.list", "campus": "north", "before": ids[-1]})
    assert ([c["id"] for c in older["waiting"]], older["more"]) == (north, False)
    some = await answer_to(ws, {"type": "queue.list", "campus": "north", "before": north[2]})
    assert ([c["id"] for c in some["waiting"]], some["more"]) == (north[:2], False)
    everyone = await answer_to(ws, {"type": "queue.list", "campus": None, "before": None})
    assert ([c["id"] for c in everyone["waiting"]], everyone["more"]) == (ids[-4:], True)
    await ws.disconnect()


BAD_QUEUE_FRAMES: list[tuple[dict[str, Any], str, str]] = [
    ({"campus": 7}, "invalid", "campus"),
    ({"campus": ["north"]}, "invalid", "campus"),
    ({"campus": {"slug": "north"}}, "invalid", "campus"),
    ({"campus": "atlantis"}, "unknown_campus", "campus"),
    ({"campus": "<script>alert(1)</script>"}, "unknown_campus", "campus"),
    ({"campus": "north' OR '1'='1"}, "unknown_campus", "campus"),
    ({"campus": "n" * 20000}, "unknown_campus", "campus"),
    ({"campus": "\ud800"}, "unknown_campus", "campus"),
    ({"before": "12"}, "invalid", "before"),
    ({"before": 0}, "invalid", "before"),
    ({"before": -3}, "invalid", "before"),
    ({"before": 1.5}, "invalid", "before"),
    ({"before": True}, "invalid", "before"),
    ({"before": 2**64}, "invalid", "before"),
    ({"before": [1]}, "invalid", "before"),
    ({"before": 2**62}, "not_found", "before"),
]


@pytest.mark.parametrize(("fields", "code", "field"), BAD_QUEUE_FRAMES)
async def test_queue_list_refuses_bad_fields_with_an_error_and_the_socket_stays_open(
    people: dict[str, Librarian], fields: dict[str, Any], code: str, field: str
) -> None:
    await database_sync_to_async(flood)(2)
    ws, _snapshot_frame = await open_staff(people["ana"])
    error = await answer_to(ws, {"type": "queue.list", **fields})
    assert (error["type"], error["code"], error["field"]) == ("error", code, field)
    assert error["message"]
    ok = await answer_to(ws, {"type": "queue.list"})
    assert (ok["type"], len(ok["waiting"])) == ("ack", 2)
    await ws.disconnect()


@pytest.mark.engines
async def test_the_counts_in_the_snapshot_agree_with_the_events_after_it(
    people: dict[str, Librarian], settings: Any
) -> None:
    """A console applies to its counts only events newer than the snapshot's ``event_id``;
    the counts and that id are read together, so nothing is counted twice or missed."""
    page_size(settings, 2)
    ids = await database_sync_to_async(flood)(5)
    ws, snapshot = await open_staff(people["ana"])
    total = snapshot["waiting_total"]
    await database_sync_to_async(actions.do_claim_chat)(ids[0], acting_librarian=people["ben"])
    claimed = await receive_until(ws, "chat.claimed")
    assert claimed["event_id"] > snapshot["event_id"]
    total -= 1
    more = await database_sync_to_async(flood)(1)
    created = await receive_until(ws, "chat.created")
    assert created["chat"]["id"] == more[0]
    total += 1
    again, fresh = await open_staff(people["ana"])
    assert fresh["waiting_total"] == total == 5
    assert fresh["event_id"] == created["event_id"]
    await ws.disconnect()
    await again.disconnect()


def snapshot_queries(librarian: Librarian, assert_num_queries: Any, budget: int) -> None:
    with assert_num_queries(budget):
        staff_snapshot(librarian, 0)


SNAPSHOT_BUDGET = 19


@pytest.mark.django_db
def test_the_snapshot_s_queries_and_size_do_not_grow_with_the_queue(
    people: dict[str, Librarian],
    new_chat: Callable[..., Any],
    django_assert_num_queries: Any,
) -> None:
    """Event id and counts (1), the waiting page (1), my active chats and their messages
    (2), the transfers offered to me (1, and 1 more for their messages when there are any),
    presence with each librarian's active chats (1), the new tickets and their counts (2),
    the campus panel's facts (5: campuses, hours, closures, special hours, links), the
    reference-interview card (1), the snippets I may use (1; their placeholders' campus
    names and hours today come from the campus facts already read), the safety panels'
    guidance (1), the internal notes of my chats (1) and the directory (2: contacts,
    courses)."""
    chat, _ = new_chat()
    actions.do_claim_chat(chat.pk, acting_librarian=people["ana"])
    flood(3)
    snapshot_queries(people["ana"], django_assert_num_queries, SNAPSHOT_BUDGET)
    flood(250)
    snapshot_queries(people["ana"], django_assert_num_queries, SNAPSHOT_BUDGET)
    snapshot = staff_snapshot(people["ana"], 0)
    assert len(snapshot["waiting"]) == 100
    assert snapshot["waiting_total"] == 253
