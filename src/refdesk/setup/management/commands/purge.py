"""``refdesk purge``: apply the retention period now (the sweeper also does, hourly)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from refdesk.chats.actions import do_purge_expired_chats
from refdesk.core.actions import do_forget_old_counters
from refdesk.core.checkpoint import is_sqlite, truncate_log
from refdesk.tickets.actions import do_purge_expired_tickets


class Command(BaseCommand):
    help = (
        "Remove patron details and message text of chats ended, and tickets closed, over "
        "the retention period ago."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = do_purge_expired_chats()
        tickets = do_purge_expired_tickets()
        counters = do_forget_old_counters()
        days = settings.REFDESK["RETENTION_DAYS"]
        open_days = settings.REFDESK["RETENTION_OPEN_DAYS"]
        self.stdout.write(
            f"Purged {result.chats} chats ({result.messages} messages) ended over {days} days "
            f"ago and {tickets} tickets closed over {days} days ago (and those never "
            f"finished, started over {open_days} days ago); forgot {counters} old rate "
            "counters."
        )
        if is_sqlite() and not truncate_log():
            self.stderr.write(
                "The database's write-ahead log could not be emptied now (a server process "
                "was busy reading); the server does it within the hour. Run "
                "`refdesk purge` again later to be sure."
            )
