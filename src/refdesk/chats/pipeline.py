"""Group commit for messages: many senders, one transaction, acknowledgements after it.

Every socket of this process hands its messages to the one pipeline. While a batch is
being written, new messages queue; the next batch takes them all (up to a bound). A
message is acknowledged, and broadcast, only after the transaction that stored it has
committed, so an ``ack`` always means "stored".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from refdesk.accounts.selectors import get_live_names
from refdesk.chats.actions import NewMessage, do_store_messages
from refdesk.core.db import run_action
from refdesk.core.errors import ActionError

MAX_BATCH = 256

_Pending = tuple[NewMessage, "asyncio.Future[Mapping[str, Any]]"]


class MessagePipeline:
    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.messages = 0

    async def submit(self, message: NewMessage) -> Mapping[str, Any]:
        """Store ``message`` with the next batch; returns its payload or raises its refusal."""
        future: asyncio.Future[Mapping[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending.append((message, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                results = await run_action(authorise_and_store, [m for m, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    if not batch[0][1].done():
                        batch[0][1].set_exception(exc)
                    continue
                # One message broke the batch: write each alone, so only it fails.
                for message, future in batch:
                    try:
                        (result,) = await run_action(authorise_and_store, [message])
                    except Exception as single:
                        if not future.done():
                            future.set_exception(single)
                        continue
                    _settle(future, result)
                continue
            self.batches += 1
            self.messages += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result)


def _settle(
    future: asyncio.Future[Mapping[str, Any]], result: Mapping[str, Any] | ActionError
) -> None:
    if future.done():
        return
    if isinstance(result, ActionError):
        future.set_exception(result)
    else:
        future.set_result(result)


def authorise_and_store(batch: list[NewMessage]) -> list[Mapping[str, Any] | ActionError]:
    """Check every librarian message's session, in one query for the batch, then store.

    A message whose session has ended is refused with ``unauthenticated``; the others go
    to :func:`do_store_messages` with the librarian's current name.
    """
    sessions = {m.session_key: m.librarian_id for m in batch if m.librarian_id and m.session_key}
    live = get_live_names({k: v for k, v in sessions.items() if v is not None})
    results: list[Mapping[str, Any] | ActionError | None] = []
    allowed: list[NewMessage] = []
    for message in batch:
        if message.librarian_id is None:
            allowed.append(message)
            results.append(None)
            continue
        name = live.get(message.session_key)
        if name is None:
            results.append(ActionError("unauthenticated", "Your session has ended; log in again."))
            continue
        allowed.append(replace(message, librarian_name=name))
        results.append(None)
    stored = iter(do_store_messages(allowed) if allowed else [])
    return [next(stored) if result is None else result for result in results]


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
