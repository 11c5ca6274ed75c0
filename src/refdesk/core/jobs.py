"""The desk's timers as jobs: each app registers its own, every process's sweeper runs them.

A job is a short step that any number of processes may run at once with one result: a
conditional update, or one bounded batch of a longer piece of work. The sweeper runs each
registered job when it is due (``every_seconds`` after its last run in this process, and
at once after a start). A step that returns ``True`` has more to do (a backlog) and is run
again at the next sweep, a few seconds later, so that long work never holds the writer.

Apps register their jobs from ``AppConfig.ready()``; ``core`` knows none of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# A step returns whether it has more to do right away (None counts as no).
SyncStep = Callable[[], bool | None]
AsyncStep = Callable[[], Awaitable[bool | None]]


@dataclass(frozen=True)
class Job:
    """A registered timer. ``step`` runs on the write lane (``core.db.run_action``);
    ``async_step`` runs on the event loop (for work on this process's own sockets)."""

    name: str
    every_seconds: float
    step: SyncStep | None = None
    async_step: AsyncStep | None = None


_jobs: dict[str, Job] = {}


def register_job(
    name: str,
    *,
    every_seconds: float,
    step: SyncStep | None = None,
    async_step: AsyncStep | None = None,
) -> None:
    """Register (or replace) the job ``name``; exactly one of ``step`` and ``async_step``.

    ``every_seconds`` of 0 runs it at every sweep (``REFDESK_SWEEP_SECONDS``).
    """
    if (step is None) == (async_step is None):
        raise ValueError(f"job {name!r} needs exactly one of step and async_step")
    _jobs[name] = Job(name, every_seconds, step, async_step)


def registered_jobs() -> list[Job]:
    """Every registered job, in the order of registration."""
    return list(_jobs.values())


def run_sync_jobs_once() -> dict[str, bool | None]:
    """Run every synchronous job's step once, here and now (``refdesk`` commands and tests
    use it); what each returned."""
    return {job.name: job.step() for job in registered_jobs() if job.step is not None}
