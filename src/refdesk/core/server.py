"""The HTTP protocol the server speaks: uvicorn's, with a deadline for request headers.

uvicorn closes an idle kept-alive connection, but not one that never finishes its request
headers: 600 such connections (a slow-loris attack, or a broken proxy) stayed open for
good, each holding a file descriptor. Here every request must have its headers complete
within ``REFDESK_HEADER_TIMEOUT_SECONDS`` of the connection opening (or of its first
byte, for the next request on a kept-alive connection), or the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        seconds = settings.REFDESK["HEADER_TIMEOUT_SECONDS"]
        if seconds > 0:
            self.header_timer = self.loop.call_later(seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_slow(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
