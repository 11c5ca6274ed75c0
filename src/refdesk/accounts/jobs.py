"""The accounts' jobs: keep this process's console connections alive, forget those of
processes that stopped (a crash, a kill), and take librarians whose grace period is over
offline."""

from __future__ import annotations

from refdesk.accounts.actions import (
    do_end_grace_periods,
    do_sweep_stale_connections,
    do_touch_connections,
)
from refdesk.core.jobs import register_job
from refdesk.core.process import PROCESS_ID


def touch_connections() -> None:
    do_touch_connections(PROCESS_ID)


def sweep_stale_connections() -> None:
    do_sweep_stale_connections()


def end_grace_periods() -> None:
    do_end_grace_periods()


def register_jobs() -> None:
    register_job("accounts.touch-connections", every_seconds=0, step=touch_connections)
    register_job("accounts.sweep-stale-connections", every_seconds=0, step=sweep_stale_connections)
    register_job("accounts.end-grace-periods", every_seconds=0, step=end_grace_periods)
