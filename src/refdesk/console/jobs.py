"""The console's job: close this process's consoles whose sessions have ended."""

from __future__ import annotations

from refdesk.console.consumers import recheck_console_sessions
from refdesk.core.jobs import register_job


async def recheck_sessions() -> None:
    await recheck_console_sessions()


def register_jobs() -> None:
    register_job("console.recheck-sessions", every_seconds=0, async_step=recheck_sessions)
