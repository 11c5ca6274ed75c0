"""ASGI lifespan: start the sweeper with the process and stop it with the process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from refdesk.core.sweeper import run_sweeper

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


class LifespanMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.task = asyncio.create_task(run_sweeper())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.task is not None:
                    self.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.task
                await send({"type": "lifespan.shutdown.complete"})
                return
