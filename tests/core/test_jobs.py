"""The jobs registry and the sweeper that runs it."""

from __future__ import annotations

import logging

import pytest

from refdesk.core import jobs
from refdesk.core.sweeper import Sweeper


def test_every_app_registers_its_own_jobs() -> None:
    assert [(job.name, job.every_seconds) for job in jobs.registered_jobs()] == [
        ("core.forget-old-counters", 3600),
        ("core.truncate-log", 3600),
        ("accounts.touch-connections", 0),
        ("accounts.sweep-stale-connections", 0),
        ("accounts.end-grace-periods", 0),
        ("chats.home_windows", 0),
        ("chats.ticket_offers", 0),
        ("chats.transfer_offers", 0),
        ("chats.purge", 3600),
        ("chats.touch-patron-sockets", 0),
        ("chats.sweep-stale-patron-sockets", 0),
        ("chats.end-when-patron-gone", 0),
        ("chats.queue_positions", 0),
        ("chats.dead_air", 0),
        ("chats.silent_patrons", 0),
        ("tickets.unanswered", 0),
        ("tickets.purge", 3600),
        ("tickets.send_replies", 0),
        ("safety.purge_blocks", 3600),
        ("safety.purge_incidents", 3600),
        ("safety.reload_terms", 10),
        ("console.recheck-sessions", 0),
    ]


def test_a_job_needs_exactly_one_step() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        jobs.register_job("broken", every_seconds=1)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_jobs", {})


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry")
async def test_the_sweeper_runs_due_jobs_comes_back_for_a_backlog_and_survives_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []
    backlog = [True, True, False]

    def purge() -> bool:
        ran.append("purge")
        return backlog.pop(0)

    def hourly() -> None:
        ran.append("hourly")

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    async def sockets() -> None:
        ran.append("sockets")

    jobs.register_job("purge", every_seconds=3600, step=purge)
    jobs.register_job("hourly", every_seconds=3600, step=hourly)
    jobs.register_job("broken", every_seconds=0, step=broken)
    jobs.register_job("sockets", every_seconds=0, async_step=sockets)
    sweeper = Sweeper()
    with caplog.at_level(logging.ERROR, logger="refdesk.core.sweeper"):
        for _ in range(4):
            await sweeper.sweep()
    # At start everything runs; then the purge comes back while it has a backlog, the
    # hourly job waits its hour, and a failing job neither stops the others nor itself.
    assert ran == [
        "purge", "hourly", "broken", "sockets",
        "purge", "broken", "sockets",
        "purge", "broken", "sockets",
        "broken", "sockets",
    ]  # fmt: skip
    assert [r.getMessage() for r in caplog.records].count(
        "job broken failed; it runs again at its next turn"
    ) == 4
