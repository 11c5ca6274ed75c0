"""The tickets' jobs: the retention purge, one bounded batch at a time."""

from __future__ import annotations

from refdesk.core.jobs import register_job
from refdesk.tickets.actions import do_purge_expired_tickets

HOURLY = 3600
BATCH = 500


def purge_expired_tickets() -> bool:
    """One batch of the purge; True while a backlog remains (the sweeper comes back)."""
    return do_purge_expired_tickets(batch=BATCH, rounds=1) == BATCH


def register_jobs() -> None:
    register_job("tickets.purge", every_seconds=HOURLY, step=purge_expired_tickets)
