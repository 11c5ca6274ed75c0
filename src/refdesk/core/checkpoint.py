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
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy now: the next round will do it
                    logger.debug("checkpoint skipped: %s", exc)
        finally:
            connection.close()

    threading.Thread(target=run, name="refdesk-checkpoint", daemon=True).start()
    return stop
