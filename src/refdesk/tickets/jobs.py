"""The tickets' jobs: the retention purge, one bounded batch at a time, and the replies
that could not be emailed yet, tried again with backoff; and what a deactivation does to
the account's tickets."""

from __future__ import annotations

import asyncio

from refdesk.accounts.actions import register_deactivation_step
from refdesk.core.db import run_action
from refdesk.core.jobs import register_job
from refdesk.tickets.actions import (
    do_close_unanswered_chats,
    do_purge_expired_tickets,
    do_record_reply_attempt,
    do_take_reply_attempt,
    do_unassign_tickets_of,
    list_due_replies,
    send_email,
)

HOURLY = 3600
BATCH = 500
# Unsent replies are looked for at every sweep; each has its own next attempt time.
EVERY_SWEEP = 0
REPLIES_PER_STEP = 20


def purge_expired_tickets() -> bool:
    """One batch of the purge; True while a backlog remains (the sweeper comes back)."""
    return do_purge_expired_tickets(batch=BATCH, rounds=1) == BATCH


def close_unanswered_chats() -> bool:
    """Chats nobody answered in time become tickets (or end unanswered); True while more
    are due."""
    return do_close_unanswered_chats(batch=BATCH) == BATCH


async def send_due_replies() -> bool:
    """Try once each unsent reply that is due (a batch): take the attempt on the write
    lane, send on a thread of its own so that a slow mail server holds no lane, record
    the outcome on the write lane. True when a full batch was due (more may be)."""
    due = await run_action(list_due_replies, limit=REPLIES_PER_STEP)
    for entry_id in due:
        prepared = await run_action(do_take_reply_attempt, entry_id)
        if prepared is None:
            continue  # another process took it, or it was sent meanwhile
        error = await asyncio.to_thread(send_email, prepared.message)
        await run_action(do_record_reply_attempt, prepared, error=error)
    return len(due) == REPLIES_PER_STEP


def register_jobs() -> None:
    register_job("tickets.unanswered", every_seconds=EVERY_SWEEP, step=close_unanswered_chats)
    register_job("tickets.purge", every_seconds=HOURLY, step=purge_expired_tickets)
    register_job("tickets.send_replies", every_seconds=EVERY_SWEEP, async_step=send_due_replies)
    # A deactivated account's open tickets stay, unassigned.
    register_deactivation_step(do_unassign_tickets_of)
