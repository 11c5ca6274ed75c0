"""The chats' jobs: the retention purge, one bounded batch at a time; the patrons'
connections (kept alive by the process that holds them, swept when a process stops); and
the waiting chats whose patron has gone."""

from __future__ import annotations

from refdesk.chats.actions import (
    do_end_chats_patron_gone,
    do_purge_expired_chats,
    do_sweep_stale_patron_sockets,
    do_touch_patron_sockets,
)
from refdesk.core.jobs import register_job
from refdesk.core.process import PROCESS_ID

HOURLY = 3600
BATCH = 500
GONE_BATCH = 100


def purge_expired_chats() -> bool:
    """One batch of the purge; True while a backlog remains (the sweeper comes back)."""
    return do_purge_expired_chats(batch=BATCH, rounds=1).chats == BATCH


def touch_patron_sockets() -> None:
    do_touch_patron_sockets(PROCESS_ID)


def sweep_stale_patron_sockets() -> None:
    do_sweep_stale_patron_sockets()


def end_chats_patron_gone() -> bool:
    """One batch; True while more may wait."""
    return do_end_chats_patron_gone(batch=GONE_BATCH) == GONE_BATCH


def register_jobs() -> None:
    register_job("chats.purge", every_seconds=HOURLY, step=purge_expired_chats)
    register_job("chats.touch-patron-sockets", every_seconds=0, step=touch_patron_sockets)
    register_job(
        "chats.sweep-stale-patron-sockets", every_seconds=0, step=sweep_stale_patron_sockets
    )
    register_job("chats.end-when-patron-gone", every_seconds=0, step=end_chats_patron_gone)
