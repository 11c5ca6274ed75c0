"""Core's own jobs: forgetting old rate counters and emptying SQLite's log after purges."""

from __future__ import annotations

from refdesk.core.actions import do_forget_old_counters
from refdesk.core.checkpoint import request_truncate
from refdesk.core.jobs import register_job

HOURLY = 3600


def forget_old_counters() -> None:
    do_forget_old_counters()


def truncate_log() -> None:
    """Purged text (the sweeper's, or `refdesk purge`'s) stays in SQLite's write-ahead log
    until the log is emptied; the checkpoint thread does it once readers allow."""
    request_truncate()


def register_jobs() -> None:
    register_job("core.forget-old-counters", every_seconds=HOURLY, step=forget_old_counters)
    register_job("core.truncate-log", every_seconds=HOURLY, step=truncate_log)
