"""The safety app's job: every process rebuilds its detector soon after another process
changed the watched terms."""

from __future__ import annotations

from refdesk.core.jobs import register_job
from refdesk.safety.detector import RELOAD_SECONDS, reload_if_changed


def reload_terms() -> None:
    reload_if_changed()


def register_jobs() -> None:
    register_job("safety.reload_terms", every_seconds=RELOAD_SECONDS, step=reload_terms)
