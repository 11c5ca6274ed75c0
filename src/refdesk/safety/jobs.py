"""The safety app's jobs: the retention purge of old blocks and of closed incidents' text,
one bounded batch at a time; and every process building its detector at its first sweep
(before patron messages wait on it) and rebuilding it soon after another process changed
the watched terms.
"""

from __future__ import annotations

from refdesk.core.jobs import register_job
from refdesk.safety.actions import do_purge_closed_incidents, do_purge_old_blocks
from refdesk.safety.detector import RELOAD_SECONDS, build_or_reload

HOURLY = 3600
BATCH = 500


def purge_old_blocks() -> bool:
    return do_purge_old_blocks(batch=BATCH) == BATCH


def purge_closed_incidents() -> bool:
    return do_purge_closed_incidents(batch=BATCH) == BATCH


def reload_terms() -> None:
    build_or_reload()


def register_jobs() -> None:
    register_job("safety.purge_blocks", every_seconds=HOURLY, step=purge_old_blocks)
    register_job("safety.purge_incidents", every_seconds=HOURLY, step=purge_closed_incidents)
    register_job("safety.reload_terms", every_seconds=RELOAD_SECONDS, step=reload_terms)
