"""The chats' jobs: the retention purge, one bounded batch at a time."""

from __future__ import annotations

from refdesk.chats.actions import do_publish_queue_positions, do_purge_expired_chats
from refdesk.chats.selectors import get_newest_chat_event_id
from refdesk.core.jobs import register_job

HOURLY = 3600
BATCH = 500


def purge_expired_chats() -> bool:
    """One batch of the purge; True while a backlog remains (the sweeper comes back)."""
    return do_purge_expired_chats(batch=BATCH, rounds=1).chats == BATCH


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
    register_job("chats.purge", every_seconds=HOURLY, step=purge_expired_chats)
    register_job("chats.queue_positions", every_seconds=0, step=publish_queue_positions)
