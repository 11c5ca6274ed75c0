"""The accounts' jobs: keep this process's console connections alive, and forget those of
processes that stopped (a crash, a kill)."""

from __future__ import annotations

from refdesk.accounts.actions import do_sweep_stale_connections, do_touch_connections
from refdesk.core.jobs import register_job
from refdesk.core.process import PROCESS_ID


def touch_connections() -> None:
    do_touch_connections(PROCESS_ID)


def sweep_stale_connections() -> None:
    do_sweep_stale_connections()


def register_jobs() -> None:
    register_job("accounts.touch-connections", every_seconds=0, step=touch_connections)
    register_job("accounts.sweep-stale-connections", every_seconds=0, step=sweep_stale_connections)
