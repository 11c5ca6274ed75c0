"""Move SQLite's write-ahead log into the database off the request path.

SQLite checkpoints in the connection whose commit crosses the threshold, so one message
batch in thousands would wait for megabytes to be copied and synced. A thread with its
own connection runs a PASSIVE checkpoint every second instead (it never blocks the
writer); the connection's own threshold stays as a safety net.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
# How long one attempt at truncating the log may wait for readers and the writer.
TRUNCATE_WAIT_SECONDS = 5.0
# A truncation asked for by the purge: the thread retries it every round until it is done.
_truncate_wanted = threading.Event()


def is_sqlite() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3")


def truncate_log(*, wait_seconds: float = TRUNCATE_WAIT_SECONDS) -> bool:
    """Copy the whole write-ahead log into the database and empty the log file, on a
    connection of its own; whether it was done (False: readers kept it busy).

    The purge blanks patron text, but the log still holds the pages as they were before,
    until the next checkpoint reuses it; with ``secure_delete`` on, the database file
    keeps no copy either once the log is copied in. Never run on the writer's own
    connection: the wait for readers must not hold up a message.
    """
    if not is_sqlite():
        return True
    try:
        connection = sqlite3.connect(
            str(settings.DATABASES["default"]["NAME"]), timeout=wait_seconds
        )
    except sqlite3.Error:
        logger.exception("cannot open the database to truncate its log")
        return False
    try:
        connection.execute("PRAGMA secure_delete=ON")
        busy, _log, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        logger.warning("the log was not truncated: %s", exc)
        return False
    finally:
        connection.close()
    return not busy


def request_truncate() -> None:
    """Ask this process's checkpoint thread to truncate the log soon (after a purge)."""
    _truncate_wanted.set()


def start_checkpointer() -> threading.Event | None:
    """Start the checkpoint thread for a SQLite database; returns its stop event."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    stop = threading.Event()

    def run() -> None:
        try:
            connection = sqlite3.connect(str(database["NAME"]), timeout=0.1)
        except sqlite3.Error:
            logger.exception("no checkpoint thread: cannot open the database")
            return
        try:
            while not stop.wait(INTERVAL_SECONDS):
                if _truncate_wanted.is_set() and truncate_log(wait_seconds=0.5):
                    _truncate_wanted.clear()
                    continue
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy now: the next round will do it
                    logger.debug("checkpoint skipped: %s", exc)
        finally:
            connection.close()

    threading.Thread(target=run, name="refdesk-checkpoint", daemon=True).start()
    return stop
