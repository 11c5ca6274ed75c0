"""The health check."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

from refdesk.core.db import run_action, run_read
from refdesk.core.realtime import layer_round_trip

logger = logging.getLogger(__name__)

# Each part of the health check must answer within this long.
HEALTH_TIMEOUT_SECONDS = 1.0


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check(part_name: str, part: Awaitable[None]) -> dict[str, Any]:
    name = part_name.replace("_", " ")
    started = time.perf_counter()
    try:
        await asyncio.wait_for(part, HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        logger.warning(
            "health check: no answer from the %s within %g s", name, HEALTH_TIMEOUT_SECONDS
        )
        return {"ok": False, "error": "timeout"}
    except Exception as exc:
        logger.warning("health check: the %s failed", name, exc_info=True)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


async def health_show(request: HttpRequest) -> JsonResponse:
    """200 when both database lanes and the channel layer each answer a trivial round trip
    within a second, 503 naming the parts that did not (``failed``)."""
    parts = {
        "write_lane": run_action(_select_one),
        "read_lane": run_read(_select_one),
        "channel_layer": layer_round_trip(),
    }
    answers = await asyncio.gather(*(_check(name, part) for name, part in parts.items()))
    checks = dict(zip(parts, answers, strict=True))
    failed = [name for name, answer in checks.items() if not answer["ok"]]
    response = JsonResponse(
        {"ok": not failed, "failed": failed, "checks": checks}, status=503 if failed else 200
    )
    response["Cache-Control"] = "no-store"
    return response
