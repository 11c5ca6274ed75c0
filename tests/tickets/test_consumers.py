"""Tickets on the staff socket: live as ``ticket.created``, and in every snapshot."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.tickets.models import Ticket
from refdesk.tickets.selectors import list_new_tickets
from tests.support import (
    answer_to,
    assert_events_exactly,
    capture_events,
    open_staff,
    receive_until,
)

HOSTILE_NAME = "Eve <b>Hacker</b>"
HOSTILE_QUESTION = "<script>alert('q')</script>'; DROP TABLE tickets_ticket; --"


def post_ticket(**fields: str) -> Any:
    form = {"campus": "south", "email": "kim@example.edu", "question": "Hours?", **fields}
    return Client().post("/api/tickets", json.dumps(form), content_type="application/json")


@pytest.mark.engines
@pytest.mark.django_db(transaction=True)
async def test_a_ticket_filed_through_the_api_reaches_every_console_as_plain_text(
    make_librarian: Callable[..., Librarian],
) -> None:
    make = database_sync_to_async(make_librarian)
    ana_ws, snapshot = await open_staff(await make("ana", campus="north"))
    ben_ws, _ = await open_staff(await make("ben", campus="south"))
    assert snapshot["tickets"] == []
    try:
        response = await database_sync_to_async(post_ticket)(
            name=HOSTILE_NAME, question=HOSTILE_QUESTION
        )
        assert response.status_code == 201
        ticket_id = response.json()["ticket_id"]
        for ws in (ana_ws, ben_ws):
            created = await receive_until(ws, "ticket.created")
            assert created == {
                "type": "ticket.created",
                "ticket": {
                    "id": ticket_id,
                    "state": "new",
                    "campus": "south",
                    "campus_name": "South Campus Library",
                    "name": HOSTILE_NAME,
                    "email": "kim@example.edu",
                    "question": HOSTILE_QUESTION,
                    "created_at": created["ticket"]["created_at"],
                    "source": "form",
                    "chat_id": None,
                    "owner": None,
                    "owner_id": None,
                    "updated_at": None,
                    "closed_at": None,
                },
            }
        # A console that opens later finds it in its snapshot.
        later, snapshot = await open_staff(await make("cai", campus="north"))
        assert [t["id"] for t in snapshot["tickets"]] == [ticket_id]
        assert snapshot["tickets"][0]["question"] == HOSTILE_QUESTION
        await later.disconnect()
    finally:
        await ana_ws.disconnect()
        await ben_ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_refused_ticket_reaches_no_console(
    make_librarian: Callable[..., Librarian],
) -> None:
    ana_ws, _ = await open_staff(
        await database_sync_to_async(make_librarian)("ana", campus="south")
    )
    try:
        with capture_events() as events:
            response = await database_sync_to_async(post_ticket)(email="")
        assert response.status_code == 400
        assert_events_exactly(events, [])
        # Events reach a console in order: the first ticket frame it gets is the next one.
        filed = await database_sync_to_async(post_ticket)(question="Renew?")
        assert filed.status_code == 201
        first = await receive_until(ana_ws, "ticket.created")
        assert first["ticket"]["id"] == filed.json()["ticket_id"]
    finally:
        await ana_ws.disconnect()


@pytest.mark.django_db
def test_the_snapshot_lists_new_tickets_newest_first_at_most_a_hundred_in_one_query(
    new_ticket: Callable[..., Ticket], django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    tickets = [new_ticket("north" if i % 2 else "south", question=f"q{i}") for i in range(103)]
    for i, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - dt.timedelta(minutes=200 - i))
    Ticket.objects.filter(pk=tickets[-1].pk).update(state="open")
    Ticket.objects.filter(pk=tickets[-2].pk).update(state="closed")
    with django_assert_num_queries(1):
        listed = list_new_tickets()
    assert len(listed) == 100
    assert [t["question"] for t in listed[:2]] == ["q100", "q99"]
    assert listed[-1]["question"] == "q1"
    assert {t["campus"] for t in listed} == {"north", "south"}


def file_tickets(count: int, *, campus: str = "north", question: str = "junk") -> list[int]:
    """``count`` new tickets one minute apart, oldest first, after everything filed so far."""
    from refdesk.campuses.models import Campus
    from refdesk.tickets.actions import do_create_ticket

    found = Campus.objects.get(slug=campus)
    last = Ticket.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    start = (last or timezone.now() - dt.timedelta(days=1)) + dt.timedelta(minutes=1)
    ids = []
    for i in range(count):
        ticket = do_create_ticket(
            found, patron_name="", patron_email="junk@example.com", question=f"{question} {i}"
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start + dt.timedelta(minutes=i))
        ids.append(ticket.pk)
    return ids


@pytest.mark.engines
@pytest.mark.django_db(transaction=True)
async def test_a_real_ticket_behind_a_hundred_and_ten_junk_ones_is_counted_and_one_page_away(
    make_librarian: Callable[..., Librarian], make_campus: Callable[..., Any]
) -> None:
    await database_sync_to_async(make_campus)("south")
    ana = await database_sync_to_async(make_librarian)("ana", campus="north")
    (real,) = await database_sync_to_async(file_tickets)(1, campus="south", question="Renew?")
    junk = await database_sync_to_async(file_tickets)(110)
    ws, snapshot = await open_staff(ana)
    try:
        assert [t["id"] for t in snapshot["tickets"]] == junk[::-1][:100]
        assert snapshot["tickets_total"] == 111
        assert snapshot["tickets_by_campus"] == {"north": 110, "south": 1}
        older = await answer_to(
            ws, {"type": "ticket.list", "before": snapshot["tickets"][-1]["id"]}
        )
        assert [t["id"] for t in older["tickets"]] == [*junk[9::-1], real]
        assert older["more"] is False
        assert older["tickets"][-1]["question"] == "Renew? 0"
        south = await answer_to(ws, {"type": "ticket.list", "campus": "south", "state": "new"})
        assert ([t["id"] for t in south["tickets"]], south["more"]) == ([real], False)
    finally:
        await ws.disconnect()


@pytest.mark.engines
@pytest.mark.django_db(transaction=True)
async def test_ticket_list_pages_by_state_and_campus_newest_first(
    make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    settings.REFDESK = {**settings.REFDESK, "SNAPSHOT_TICKETS": 3}
    ana = await database_sync_to_async(make_librarian)("ana", campus="north")
    ids = await database_sync_to_async(file_tickets)(8)
    await database_sync_to_async(Ticket.objects.filter(pk__in=ids[:2]).update)(state="closed")
    ws, snapshot = await open_staff(ana)
    try:
        assert [t["id"] for t in snapshot["tickets"]] == ids[:1:-1][:3]
        assert snapshot["tickets_total"] == 6
        page = await answer_to(ws, {"type": "ticket.list", "before": snapshot["tickets"][-1]["id"]})
        assert ([t["id"] for t in page["tickets"]], page["more"]) == (ids[4:1:-1], False)
        closed = await answer_to(ws, {"type": "ticket.list", "state": "closed", "campus": "north"})
        assert ([t["id"] for t in closed["tickets"]], closed["more"]) == (ids[1::-1], False)
        assert {t["state"] for t in closed["tickets"]} == {"closed"}
        first = await answer_to(ws, {"type": "ticket.list"})
        assert ([t["id"] for t in first["tickets"]], first["more"]) == (ids[:4:-1], True)
    finally:
        await ws.disconnect()


BAD_TICKET_FRAMES: list[tuple[dict[str, Any], str, str]] = [
    ({"state": "deleted"}, "invalid", "state"),
    ({"state": 3}, "invalid", "state"),
    ({"state": ["new"]}, "invalid", "state"),
    ({"campus": 1}, "invalid", "campus"),
    ({"campus": "atlantis"}, "unknown_campus", "campus"),
    ({"campus": "'; DROP TABLE tickets_ticket; --"}, "unknown_campus", "campus"),
    ({"before": "7"}, "invalid", "before"),
    ({"before": -1}, "invalid", "before"),
    ({"before": 10**30}, "invalid", "before"),
    ({"before": 2**62}, "not_found", "before"),
    ({"state": "archived"}, "invalid", "state"),
    ({"owner": "3"}, "invalid", "owner"),
    ({"owner": -3}, "invalid", "owner"),
    ({"owner": True}, "invalid", "owner"),
    ({"q": 7}, "invalid", "q"),
    ({"q": "x" * 201}, "invalid", "q"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("fields", "code", "field"), BAD_TICKET_FRAMES)
async def test_ticket_list_refuses_bad_fields_with_an_error_and_the_socket_stays_open(
    make_librarian: Callable[..., Librarian], fields: dict[str, Any], code: str, field: str
) -> None:
    ana = await database_sync_to_async(make_librarian)("ana", campus="north")
    await database_sync_to_async(file_tickets)(2)
    ws, _ = await open_staff(ana)
    try:
        error = await answer_to(ws, {"type": "ticket.list", **fields})
        assert (error["type"], error["code"], error["field"]) == ("error", code, field)
        assert error["message"]
        ok = await answer_to(ws, {"type": "ticket.list", "owner": None, "q": None})
        assert (ok["type"], len(ok["tickets"])) == ("ack", 2)
    finally:
        await ws.disconnect()
