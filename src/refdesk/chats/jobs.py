"""The chats' jobs: the retention purge, one bounded batch at a time."""

from __future__ import annotations

from refdesk.chats.actions import do_purge_expired_chats
from refdesk.core.jobs import register_job

HOURLY = 3600
BATCH = 500


def purge_expired_chats() -> bool:
    """One batch of the purge; True while a backlog remains (the sweeper comes back)."""
    return do_purge_expired_chats(batch=BATCH, rounds=1).chats == BATCH


def register_jobs() -> None:
    register_job("chats.purge", every_seconds=HOURLY, step=purge_expired_chats)
