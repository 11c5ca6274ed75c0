"""Tickets on the staff socket: live as ``ticket.created``, and in every snapshot."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.asgi import application
from refdesk.tickets.models import Ticket
from refdesk.tickets.selectors import list_new_tickets

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
HOSTILE_NAME = "Eve <b>Hacker</b>"
HOSTILE_QUESTION = "<script>alert('q')</script>'; DROP TABLE tickets_ticket; --"


def session_cookie(librarian: Librarian) -> bytes:
    client = Client()
    client.force_login(librarian.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def staff(librarian: Librarian) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    cookie = await database_sync_to_async(session_cookie)(librarian)
    communicator = WebsocketCommunicator(
        application, "/ws/staff/", headers=[*HEADERS, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    return communicator, snapshot


async def receive_until(communicator: WebsocketCommunicator, frame_type: str) -> dict[str, Any]:
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == frame_type:
            return frame


def post_ticket(**fields: str) -> Any:
    form = {"campus": "south", "email": "kim@example.edu", "question": "Hours?", **fields}
    return Client().post("/api/tickets", json.dumps(form), content_type="application/json")


@pytest.mark.engines
@pytest.mark.django_db(transaction=True)
async def test_a_ticket_filed_through_the_api_reaches_every_console_as_plain_text(
    make_librarian: Callable[..., Librarian],
) -> None:
    make = database_sync_to_async(make_librarian)
    ana_ws, snapshot = await staff(await make("ana", campus="north"))
    ben_ws, _ = await staff(await make("ben", campus="south"))
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
                },
            }
        # A console that opens later finds it in its snapshot.
        later, snapshot = await staff(await make("cai", campus="north"))
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
    ana_ws, _ = await staff(await database_sync_to_async(make_librarian)("ana", campus="south"))
    try:
        response = await database_sync_to_async(post_ticket)(email="")
        assert response.status_code == 400
        frames = []
        while not await ana_ws.receive_nothing(timeout=0.3):
            frames.append(await ana_ws.receive_json_from())
        assert [f["type"] for f in frames if f["type"].startswith("ticket")] == []
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
