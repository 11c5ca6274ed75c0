"""The timer loop each server process runs every few seconds: the registered jobs."""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings

from refdesk.core.db import run_action
from refdesk.core.jobs import Job, registered_jobs

logger = logging.getLogger(__name__)


class Sweeper:
    """When each job last ran in this process, and which have a backlog."""

    def __init__(self) -> None:
        self.last_run: dict[str, float] = {}
        self.backlog: set[str] = set()

    def due(self, job: Job, now: float) -> bool:
        last = self.last_run.get(job.name)
        return last is None or job.name in self.backlog or now - last >= job.every_seconds

    async def sweep(self) -> None:
        """One round: every due job once; one job's failure does not stop the others."""
        for job in registered_jobs():
            now = time.monotonic()
            if not self.due(job, now):
                continue
            self.last_run[job.name] = now
            try:
                if job.step is not None:
                    more = await run_action(job.step)
                elif job.async_step is not None:
                    more = await job.async_step()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("job %s failed; it runs again at its next turn", job.name)
                continue
            if more:
                self.backlog.add(job.name)
            else:
                self.backlog.discard(job.name)


async def run_sweeper() -> None:
    interval: int = settings.REFDESK["SWEEP_SECONDS"]
    sweeper = Sweeper()
    while True:
        await sweeper.sweep()
        await asyncio.sleep(interval)
