"""How many websockets this process holds, in all, per address and per chat.

One token opened 3,000 sockets, each of which had its own frame allowance; and a process
that runs out of file descriptors cannot open its database or answer a page. Each process
therefore counts its sockets and refuses one past a cap, with an ``error`` frame
(``too_many_connections``) and the close code 4429:

- ``REFDESK_MAX_SOCKETS`` in all (default: the process's open-file limit less a reserve
  for the database, pages and static files);
- ``REFDESK_MAX_SOCKETS_PER_ADDRESS`` from one address (a campus lab shares one);
- ``REFDESK_MAX_SOCKETS_PER_CHAT`` on one patron token (a patron's tabs).

The counts are per process and kept in memory only (an address never leaves it); with
several processes behind a proxy, each holds its own share, and the proxy's own
per-address connection limit (docs/deploying.md) bounds the whole.
"""

from __future__ import annotations

import resource
from collections import Counter
from typing import Any

from django.conf import settings

CLOSE_TOO_MANY = 4429
# File descriptors kept for everything that is not a websocket: the database, the log,
# pages and static files being served, the channel layer's connections.
_RESERVE_MIN = 256


def _derived_total() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(16, soft - max(_RESERVE_MIN, soft // 10))


class Census:
    """Open sockets of this process, counted under keys ("address:…", "chat:…")."""

    def __init__(self) -> None:
        self.total = 0
        self.counts: Counter[str] = Counter()

    def limit_total(self) -> int:
        configured = settings.REFDESK["MAX_SOCKETS"]
        return configured if configured > 0 else _derived_total()

    def admit(self, *, address: str) -> str | None:
        """Count a new socket from ``address``; the name of the cap it would pass, if any
        (then nothing is counted)."""
        if self.total >= self.limit_total():
            return "server"
        key = f"address:{address}"
        if address and self.counts[key] >= settings.REFDESK["MAX_SOCKETS_PER_ADDRESS"]:
            return "address"
        self.total += 1
        if address:
            self.counts[key] += 1
        return None

    def release(self, *, address: str) -> None:
        self.total = max(0, self.total - 1)
        if address:
            self._drop(f"address:{address}")

    def admit_chat(self, chat_id: int) -> bool:
        """Count a patron socket of ``chat_id``; False (nothing counted) past the cap."""
        key = f"chat:{chat_id}"
        if self.counts[key] >= settings.REFDESK["MAX_SOCKETS_PER_CHAT"]:
            return False
        self.counts[key] += 1
        return True

    def release_chat(self, chat_id: int) -> int:
        """Forget one socket of ``chat_id``; how many remain."""
        return self._drop(f"chat:{chat_id}")

    def _drop(self, key: str) -> int:
        left = self.counts[key] - 1
        if left > 0:
            self.counts[key] = left
        else:
            del self.counts[key]
        return max(0, left)


census = Census()


def socket_address(scope: dict[str, Any]) -> str:
    """The client's address as the server (or its trusted proxy) saw it; the socket
    counterpart of ``core.http.client_address``."""
    if settings.REFDESK["TRUST_X_FORWARDED_FOR"]:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for" and value:
                return str(value.decode("latin-1")).split(",")[-1].strip()
    client = scope.get("client")
    return str(client[0]) if client else ""


REFUSALS = {
    "server": "The desk is too busy to take another connection; it will try again shortly.",
    "address": "Too many connections from your network; it will try again shortly.",
    "chat": "This chat is open in too many windows or tabs; close one to reconnect here.",
}
