"""The timer loop each server process runs every few seconds."""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from refdesk.core.process import PROCESS_ID

logger = logging.getLogger(__name__)


def sweep_once() -> None:
    """One round of every timer; each step is an idempotent conditional update."""
    from refdesk.accounts.actions import do_sweep_stale_connections, do_touch_connections

    do_touch_connections(PROCESS_ID)
    do_sweep_stale_connections()


async def run_sweeper() -> None:
    interval: int = settings.REFDESK["SWEEP_SECONDS"]
    while True:
        try:
            await database_sync_to_async(sweep_once)()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sweep failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
