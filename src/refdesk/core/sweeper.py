"""The timer loop each server process runs every few seconds."""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings

from refdesk.core.checkpoint import request_truncate
from refdesk.core.db import run_action
from refdesk.core.process import PROCESS_ID

logger = logging.getLogger(__name__)


PURGE_EVERY_SECONDS = 3600
_last_purge = 0.0


def sweep_once() -> None:
    """One round of every timer; each step is an idempotent conditional update."""
    global _last_purge  # noqa: PLW0603 - one sweeper per process
    from refdesk.accounts.actions import do_sweep_stale_connections, do_touch_connections
    from refdesk.chats.actions import do_purge_expired_chats
    from refdesk.core.actions import do_forget_old_counters
    from refdesk.tickets.actions import do_purge_expired_tickets

    do_touch_connections(PROCESS_ID)
    do_sweep_stale_connections()
    if time.monotonic() - _last_purge >= PURGE_EVERY_SECONDS or not _last_purge:
        _last_purge = time.monotonic()
        do_purge_expired_chats()
        do_purge_expired_tickets()
        do_forget_old_counters()
        # Purged text (this purge's, or `refdesk purge`'s) stays in SQLite's log until it
        # is emptied; the checkpoint thread does it once readers allow.
        request_truncate()


async def run_sweeper() -> None:
    interval: int = settings.REFDESK["SWEEP_SECONDS"]
    while True:
        try:
            await run_action(sweep_once)
            from refdesk.chats.consumers import recheck_console_sessions

            await recheck_console_sessions()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sweep failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
