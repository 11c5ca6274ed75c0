"""The chats' jobs: the timers of waiting chats, of active chats (dead air, silent patrons)
and of transfer offers, the patrons'
connections (kept alive by the process that holds them, swept when a process stops) and
the waiting chats whose patron has gone, at every sweep; and the retention purge, one
bounded batch at a time. Each is a conditional update on stored times: one process or
several, and a restart, give one result."""

from __future__ import annotations

from refdesk.accounts.actions import (
    register_deactivation_step,
    register_demotion_step,
    register_departure_step,
)
from refdesk.chats.actions import (
    do_alert_dead_air,
    do_alert_silent_patrons,
    do_close_home_windows,
    do_end_chats_patron_gone,
    do_end_joins_of,
    do_expire_transfer_offers,
    do_offer_tickets,
    do_publish_queue_positions,
    do_purge_expired_chats,
    do_return_chats_of_departed,
    do_sweep_stale_patron_sockets,
    do_touch_patron_sockets,
)
from refdesk.chats.selectors import get_newest_chat_event_id
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


def close_home_windows() -> bool:
    """Close each home-campus window that ran out; True while more are due."""
    return do_close_home_windows(batch=BATCH) == BATCH


def offer_tickets() -> bool:
    """Offer a ticket to each patron waiting past their chat's offer time."""
    return do_offer_tickets(batch=BATCH) == BATCH


def expire_transfer_offers() -> bool:
    """End each transfer offer nobody answered in time."""
    return do_expire_transfer_offers(batch=BATCH) == BATCH


def alert_dead_air() -> bool:
    """Alert the holders of chats whose patron waited too long; True while more are due."""
    return do_alert_dead_air(batch=BATCH) == BATCH


def alert_silent_patrons() -> bool:
    """Move silent patrons' chats to their next stage; True while more may be due."""
    return do_alert_silent_patrons(batch=BATCH) >= BATCH


# The newest chat event this process has told waiting patrons about. Each process keeps
# its own: with several, a patron may hear their place once per process, which is
# harmless; after a restart the first run starts from now (a patron who reconnects reads
# their place in ``chat.state``).
_positions_cursor: int | None = None


def publish_queue_positions() -> None:
    """Tell waiting patrons their new place in any queue that moved since the last run."""
    global _positions_cursor  # noqa: PLW0603 - this process's cursor, see above
    if _positions_cursor is None:
        _positions_cursor = get_newest_chat_event_id()
        return
    _positions_cursor = do_publish_queue_positions(after_event=_positions_cursor)


def register_jobs() -> None:
    register_job("chats.home_windows", every_seconds=0, step=close_home_windows)
    register_job("chats.ticket_offers", every_seconds=0, step=offer_tickets)
    register_job("chats.transfer_offers", every_seconds=0, step=expire_transfer_offers)
    register_job("chats.purge", every_seconds=HOURLY, step=purge_expired_chats)
    register_job("chats.touch-patron-sockets", every_seconds=0, step=touch_patron_sockets)
    register_job(
        "chats.sweep-stale-patron-sockets", every_seconds=0, step=sweep_stale_patron_sockets
    )
    register_job("chats.end-when-patron-gone", every_seconds=0, step=end_chats_patron_gone)
    # The accounts' grace-period job gives a departed librarian's chats back to the queues.
    register_departure_step(do_return_chats_of_departed)
    # A deactivated account's chats go back at once, saying so (reason "deactivated").
    register_deactivation_step(do_return_chats_of_departed)
    # Whoever may no longer supervise leaves the chats they joined ("<name> left").
    register_deactivation_step(do_end_joins_of)
    register_demotion_step(do_end_joins_of)
    register_job("chats.queue_positions", every_seconds=0, step=publish_queue_positions)
    register_job("chats.dead_air", every_seconds=0, step=alert_dead_air)
    register_job("chats.silent_patrons", every_seconds=0, step=alert_silent_patrons)
