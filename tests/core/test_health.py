"""``/healthz``: 200 only when both database lanes and the channel layer answer within a
second; 503 naming the part that did not."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.test import AsyncClient

from refdesk.core import db
from refdesk.core.db import run_action, run_read
from refdesk.core.realtime import get_layer

pytestmark = pytest.mark.django_db(transaction=True)

PARTS = {"write_lane", "read_lane", "channel_layer"}


async def health() -> tuple[int, dict[str, Any], float]:
    started = time.perf_counter()
    response = await AsyncClient().get("/healthz")
    return response.status_code, response.json(), time.perf_counter() - started


@contextlib.asynccontextmanager
async def lane_stuck(lane: str) -> AsyncIterator[None]:
    """Every thread of ``lane`` inside a call that does not return until the block ends."""
    run, threads = (run_action, 1) if lane == "write" else (run_read, db._read_lane.size())
    started = threading.Semaphore(0)
    release = threading.Event()

    def stuck() -> None:
        started.release()
        release.wait(30)

    calls = [asyncio.ensure_future(run(stuck)) for _ in range(threads)]
    for _ in range(threads):
        assert await asyncio.to_thread(started.acquire, True, 10)
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*calls)


@pytest.mark.engines
async def test_health_answers_200_when_both_lanes_and_the_layer_answer() -> None:
    status, body, _ = await health()
    assert status == 200
    assert body["ok"] is True
    assert body["failed"] == []
    assert set(body["checks"]) == PARTS
    assert all(check["ok"] and check["ms"] < 1000 for check in body["checks"].values())


@pytest.mark.engines
@pytest.mark.parametrize(("lane", "part"), [("write", "write_lane"), ("read", "read_lane")])
async def test_health_answers_503_naming_a_stuck_lane_within_a_second_then_200(
    lane: str, part: str
) -> None:
    async with lane_stuck(lane):
        status, body, took = await health()
        assert status == 503
        assert body["ok"] is False
        assert body["failed"] == [part]
        assert body["checks"][part] == {"ok": False, "error": "timeout"}
        assert all(body["checks"][other]["ok"] for other in PARTS - {part})
        assert 0.9 < took < 2.0

    status, body, _ = await health()
    assert (status, body["ok"], body["failed"]) == (200, True, [])


async def test_health_answers_503_naming_the_channel_layer_when_it_loses_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def lost(channel: str, message: dict[str, Any]) -> None:
        return None

    monkeypatch.setattr(get_layer(), "send", lost)
    status, body, took = await health()
    assert status == 503
    assert body["failed"] == ["channel_layer"]
    assert body["checks"]["channel_layer"] == {"ok": False, "error": "timeout"}
    assert took < 2.0

    monkeypatch.undo()
    status, _, _ = await health()
    assert status == 200


async def test_health_answers_503_naming_a_lane_whose_database_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from refdesk.core import views

    def broken() -> None:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(views, "_select_one", broken)
    status, body, _ = await health()
    assert status == 503
    assert sorted(body["failed"]) == ["read_lane", "write_lane"]
    assert body["checks"]["write_lane"] == {"ok": False, "error": "RuntimeError"}
    assert body["checks"]["channel_layer"]["ok"] is True


async def test_the_layer_check_leaves_no_channel_behind() -> None:
    from refdesk.core.layers import LocalChannelLayer

    layer = get_layer()
    if not isinstance(layer, LocalChannelLayer):
        pytest.skip("only the in-process layer lists its channels")
    for _ in range(3):
        assert (await health())[0] == 200
    assert [name for name in layer.channels if name.startswith("health.")] == []
