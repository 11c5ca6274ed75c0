"""ASGI lifespan: start the sweeper with the process and stop it with the process; close
the database lanes' connections last."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from refdesk.core.checkpoint import start_checkpointer
from refdesk.core.db import close_connections
from refdesk.core.sweeper import run_sweeper

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


class LifespanMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None
        self.checkpointer: threading.Event | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.checkpointer = start_checkpointer()
                self.task = asyncio.create_task(run_sweeper())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.checkpointer is not None:
                    self.checkpointer.set()
                if self.task is not None:
                    self.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.task
                await close_connections()
                await send({"type": "lifespan.shutdown.complete"})
                return
