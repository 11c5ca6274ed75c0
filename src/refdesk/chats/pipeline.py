"""Group commit for messages: many senders, one transaction, acknowledgements after it.

Every socket of this process hands its messages to the one pipeline. While a batch is
being written, new messages queue; the next batch takes them all (up to a bound). A
message is acknowledged, and broadcast, only after the transaction that stored it has
committed, so an ``ack`` always means "stored".
"""

from __future__ import annotations

import asyncio
from typing import Any

from refdesk.chats.actions import NewMessage, do_store_messages
from refdesk.core.db import run_action
from refdesk.core.errors import ActionError

MAX_BATCH = 256

_Pending = tuple[NewMessage, "asyncio.Future[dict[str, Any]]"]


class MessagePipeline:
    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.messages = 0

    async def submit(self, message: NewMessage) -> dict[str, Any]:
        """Store ``message`` with the next batch; returns its payload or raises its refusal."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending.append((message, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                results = await run_action(do_store_messages, [m for m, _ in batch])
            except Exception as exc:  # the whole batch failed: tell every sender
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            self.messages += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, ActionError):
                    future.set_exception(result)
                else:
                    future.set_result(result)


_pipelines: dict[asyncio.AbstractEventLoop, MessagePipeline] = {}


def get_pipeline() -> MessagePipeline:
    """The pipeline of the running event loop (one per process in production)."""
    loop = asyncio.get_running_loop()
    pipeline = _pipelines.get(loop)
    if pipeline is None:
        for old in [known for known in _pipelines if known.is_closed()]:
            del _pipelines[old]
        pipeline = _pipelines[loop] = MessagePipeline()
    return pipeline
