"""The two database lanes: reads beside a busy writer, reads that publish or write nothing,
the lanes' debug timing, and closing their connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError, connection, transaction
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import list_presence
from refdesk.asgi import application
from refdesk.campuses.models import Campus
from refdesk.chats import actions
from refdesk.chats.selectors import (
    get_queue_counts,
    list_active_chats_with_messages,
    list_waiting_page,
)
from refdesk.core import db
from refdesk.core.db import run_action, run_read
from refdesk.core.realtime import (
    STAFF_GROUP,
    EventsRefusedError,
    get_layer,
    send_event_on_commit,
)

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
# Far below SQLite's busy timeout (20 s): a read that waited for the write lock would fail.
READ_WITHIN_SECONDS = 5.0


@contextlib.asynccontextmanager
async def writer_holding_its_lock(
    campus_name: str = "Renamed, not committed",
) -> AsyncIterator[None]:
    """The write lane inside an open write transaction (on SQLite, holding the database's
    write lock from ``BEGIN IMMEDIATE``), until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Campus.objects.filter(slug="north").update(name=campus_name)
            held.set()
            release.wait(30)

    writing = asyncio.ensure_future(run_action(hold))
    assert await asyncio.to_thread(held.wait, 10)
    try:
        yield
    finally:
        release.set()
        await writing


@contextlib.asynccontextmanager
async def read_lane_busy() -> AsyncIterator[None]:
    """Every read thread inside a long read, until the block ends."""
    threads = db._read_lane.size()
    started = threading.Semaphore(0)
    release = threading.Event()

    def long_read() -> None:
        started.release()
        release.wait(30)

    reading = [asyncio.ensure_future(run_read(long_read)) for _ in range(threads)]
    for _ in range(threads):
        assert await asyncio.to_thread(started.acquire, True, 10)
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*reading)


def assert_sqlite_write_lock_is_held() -> None:
    """Another writer is refused at once: the lock is really held."""
    other = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def session_cookie(librarian: Librarian) -> bytes:
    client = Client()
    client.force_login(librarian.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def answer(communicator: WebsocketCommunicator, frame: dict[str, Any]) -> dict[str, Any]:
    await communicator.send_json_to(frame)
    while True:
        got = await communicator.receive_json_from(timeout=READ_WITHIN_SECONDS)
        if got.get("ref") == frame["ref"]:
            return dict(got)


@pytest.fixture
async def desk(make_librarian: Callable[..., Librarian]) -> dict[str, Any]:
    """A supervisor, and a chat of theirs with a few messages; a waiting chat."""

    def make() -> dict[str, Any]:
        dee = make_librarian("dee", campus="north", role="supervisor")
        north = Campus.objects.get(slug="north")
        chat, token = actions.do_create_chat(
            north, patron_name="Sam", patron_email="", question="Where is the APA guide?"
        )
        actions.do_claim_chat(chat.pk, acting_librarian=dee)
        waiting, _ = actions.do_create_chat(
            north, patron_name="Ali", patron_email="", question="Opening hours?"
        )
        return {
            "dee": dee,
            "chat_id": chat.pk,
            "token": token,
            "waiting_id": waiting.pk,
            "cookie": session_cookie(dee),
        }

    return await database_sync_to_async(make)()


def staff_snapshot_reads(librarian: Librarian) -> dict[str, Any]:
    """What a console's snapshot reads."""
    waiting, _more = list_waiting_page(limit=100)
    return {
        "event_id": get_queue_counts().event_id,
        "waiting": waiting,
        "active": list_active_chats_with_messages(librarian),
        "presence": list_presence(),
        "campus": Campus.objects.get(slug="north").name,
    }


@pytest.mark.engines
async def test_a_snapshot_read_completes_while_the_writer_holds_its_write_lock(
    desk: dict[str, Any],
) -> None:
    async with writer_holding_its_lock():
        if connection.vendor == "sqlite":
            await asyncio.to_thread(assert_sqlite_write_lock_is_held)
        snapshot = await asyncio.wait_for(
            run_read(staff_snapshot_reads, desk["dee"]), READ_WITHIN_SECONDS
        )
        assert [c["id"] for c in snapshot["active"]] == [desk["chat_id"]]
        assert [c["id"] for c in snapshot["waiting"]] == [desk["waiting_id"]]
        # The read sees what was committed, not the writer's open transaction.
        assert snapshot["campus"] != "Renamed, not committed"

    after = await run_read(staff_snapshot_reads, desk["dee"])
    assert after["campus"] == "Renamed, not committed"


@pytest.mark.engines
async def test_console_reads_and_a_patron_s_state_are_answered_while_the_writer_is_held(
    desk: dict[str, Any],
) -> None:
    staff = WebsocketCommunicator(
        application, "/ws/staff/", headers=[*HEADERS, (b"cookie", desk["cookie"])]
    )
    assert (await staff.connect())[0]
    assert (await staff.receive_json_from(timeout=5))["type"] == "snapshot"
    try:
        async with writer_holding_its_lock():
            fetched = await answer(
                staff, {"type": "chat.fetch", "chat_id": desk["chat_id"], "ref": 1}
            )
            assert fetched["type"] == "ack"
            assert fetched["chat"]["messages"][0]["body"] == "Where is the APA guide?"
            queue = await answer(staff, {"type": "queue.list", "ref": 2})
            assert [c["id"] for c in queue["waiting"]] == [desk["waiting_id"]]
            tickets = await answer(staff, {"type": "ticket.list", "ref": 3})
            assert (tickets["type"], tickets["tickets"]) == ("ack", [])

            patron = WebsocketCommunicator(
                application, f"/ws/patron/{desk['token']}/", headers=HEADERS
            )
            assert (await patron.connect())[0]
            state = await patron.receive_json_from(timeout=READ_WITHIN_SECONDS)
            assert state["type"] == "chat.state"
            assert state["chat"]["state"] == "active"
            await patron.disconnect()
    finally:
        await staff.disconnect()


async def test_a_long_read_does_not_hold_up_the_writer(desk: dict[str, Any]) -> None:
    def rename() -> str:
        Campus.objects.filter(slug="north").update(name="North, renamed")
        return Campus.objects.get(slug="north").name

    async with read_lane_busy():
        assert await asyncio.wait_for(run_action(rename), READ_WITHIN_SECONDS) == "North, renamed"


@pytest.mark.engines
@pytest.mark.parametrize("threads", [0, 2])
async def test_a_read_that_sends_an_event_is_refused_and_publishes_nothing(
    desk: dict[str, Any], settings: Any, threads: int
) -> None:
    settings.REFDESK = {**settings.REFDESK, "READ_THREADS": threads}
    layer = get_layer()
    listener = await layer.new_channel()
    await layer.group_add(STAFF_GROUP, listener)

    def read_and_announce() -> None:
        Campus.objects.get(slug="north")
        send_event_on_commit([STAFF_GROUP], {"type": "chat.updated", "chat": {}})

    # One receive throughout: a cancelled one lets go of its channel (Redis unsubscribes).
    receiving = asyncio.ensure_future(layer.receive(listener))
    try:
        with pytest.raises(EventsRefusedError):
            await run_read(read_and_announce)
        await asyncio.sleep(0.3)
        assert not receiving.done()
        # The refusal ends with the read: the next write on the same thread publishes.
        await run_action(
            send_event_on_commit, [STAFF_GROUP], {"type": "chat.updated", "chat": {"id": 7}}
        )
        got = await asyncio.wait_for(receiving, 5)
        assert got["text"] == '{"type":"chat.updated","chat":{"id":7}}'
    finally:
        receiving.cancel()
        await layer.group_discard(STAFF_GROUP, listener)


@pytest.mark.engines
async def test_a_read_thread_cannot_write(desk: dict[str, Any]) -> None:
    def write_from_a_read() -> int:
        return Campus.objects.filter(slug="north").update(name="Written by a read")

    with pytest.raises(DatabaseError):
        await run_read(write_from_a_read)
    assert await run_read(lambda: Campus.objects.get(slug="north").name) != "Written by a read"


@pytest.mark.parametrize(("threads", "lane"), [(0, "write"), (2, "read")])
async def test_reads_run_on_the_read_threads_or_with_none_on_the_writer(
    desk: dict[str, Any], settings: Any, threads: int, lane: str
) -> None:
    settings.REFDESK = {**settings.REFDESK, "READ_THREADS": threads}
    name = await run_read(lambda: threading.current_thread().name)
    assert name.startswith(f"refdesk-db-{lane}-")
    assert (await run_action(lambda: threading.current_thread().name)).startswith(
        "refdesk-db-write-"
    )


async def test_each_lane_logs_its_wait_and_run_time_at_debug_level(
    desk: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    def count_campuses() -> int:
        return Campus.objects.count()

    caplog.set_level(logging.INFO, logger="refdesk.db")
    await run_read(count_campuses)
    await run_action(count_campuses)
    assert [r for r in caplog.records if r.name == "refdesk.db"] == []

    caplog.set_level(logging.DEBUG, logger="refdesk.db")
    await run_read(count_campuses)
    await run_action(count_campuses)
    lines = [r.getMessage() for r in caplog.records if r.name == "refdesk.db"]
    assert len(lines) == 2
    read_line, write_line = lines
    assert read_line.startswith("read lane: ")
    assert write_line.startswith("write lane: ")
    for line in lines:
        assert "count_campuses waited " in line
        assert " ms, ran " in line
        assert line.endswith(" ms")


async def test_closing_the_lanes_stops_their_threads_and_the_next_call_starts_them(
    desk: dict[str, Any],
) -> None:
    async with read_lane_busy():
        pass  # every read thread has opened its connection
    await run_action(Campus.objects.count)
    threads = [*db._read_lane.threads, *db._write_lane.threads]
    assert len(threads) == db._read_lane.size() + 1

    await db.close_connections()

    assert not any(thread.is_alive() for thread in threads)
    assert db._read_lane.threads == db._write_lane.threads == []
    assert await run_read(Campus.objects.count) == 1
    assert await run_action(Campus.objects.count) == 1


async def test_a_call_that_lands_behind_a_closing_lane_s_stop_marks_still_runs(
    desk: dict[str, Any],
) -> None:
    lane = db.Lane("closing", reads=False)
    release = threading.Event()
    busy = lane.submit(db._call_write, release.wait, (10,), {})
    old_queue = lane.queue
    closing = asyncio.ensure_future(asyncio.to_thread(lane.close))
    while lane.queue is old_queue or old_queue.qsize() < 1:  # swapped, stop mark put
        await asyncio.sleep(0.01)
    late = asyncio.get_running_loop().create_future()
    old_queue.put(
        (db._call_write, Campus.objects.count, (), {}, asyncio.get_running_loop(), late, None)
    )

    release.set()
    await busy
    await closing
    assert await asyncio.wait_for(late, 5) == (1, [])
    lane.close()
