"""An in-process channel layer for one server process.

Channels' ``InMemoryChannelLayer`` walks every channel to expire messages on each send and
receive, deep-copies each message for each member of a group, expires group membership
after a day and drops messages silently when a queue is full. With two thousand sockets
the walk alone costs most of the CPU. This layer keeps the same API for what the desk
uses (channels, groups, group sends) without those costs:

- no expiry walk: a consumer's channel is removed from its groups when it disconnects;
- events are shared, not copied: every event is built once, encoded once, and never
  mutated after it is published;
- an event is not queued for the channel it came from (its ``meta.origin``);
- a channel that falls ``capacity`` messages behind (a stalled client) is not silently
  trimmed: it receives one ``relay.overflow`` message, and its consumer closes the
  socket so the client reconnects and resumes from its last ``seq`` or event id.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from typing import Any

from channels.layers import BaseChannelLayer

OVERFLOW = {"type": "relay.overflow"}


class Mailbox:
    """A channel's queue: one reader (its consumer), any number of senders.

    ``asyncio.Queue`` does more than a channel needs (bounded puts, many getters, task
    accounting); this is a deque and at most one waiting future.
    """

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: collections.deque[dict[str, Any]] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None

    def put(self, message: dict[str, Any]) -> None:
        self.items.append(message)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> dict[str, Any]:
        while not self.items:
            waiter = self.waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self.waiter is waiter:
                    self.waiter = None
        return self.items.popleft()

    def qsize(self) -> int:
        return len(self.items)

    def empty(self) -> bool:
        return not self.items


class LocalChannelLayer(BaseChannelLayer):  # type: ignore[misc]
    extensions = ["groups", "flush"]

    def __init__(self, capacity: int = 10_000, **kwargs: Any) -> None:
        super().__init__(capacity=capacity, **kwargs)
        self.channels: dict[str, Mailbox] = {}
        self.overflowed: set[str] = set()
        self.groups: dict[str, set[str]] = {}
        self.memberships: dict[str, set[str]] = {}
        self._names = itertools.count(1)

    async def new_channel(self, prefix: str = "specific.") -> str:
        return f"{prefix}.local!{next(self._names)}"

    def _queue(self, channel: str) -> Mailbox:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = Mailbox()
        return queue

    def send_nowait(self, channel: str, message: dict[str, Any]) -> None:
        if channel in self.overflowed:
            return
        queue = self._queue(channel)
        if queue.qsize() >= self.capacity:
            self.overflowed.add(channel)
            queue.put(OVERFLOW)
            return
        queue.put(message)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.send_nowait(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        queue = self._queue(channel)
        try:
            return await queue.get()
        finally:
            # A channel in a group keeps its queue until it leaves its last group; one in
            # none (a socket refused at connect) must not leave an empty queue behind.
            if (
                queue.empty()
                and channel not in self.memberships
                and self.channels.get(channel) is queue
            ):
                del self.channels[channel]

    async def group_add(self, group: str, channel: str) -> None:
        self.groups.setdefault(group, set()).add(channel)
        self.memberships.setdefault(channel, set()).add(group)

    async def group_discard(self, group: str, channel: str) -> None:
        members = self.groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.groups[group]
        joined = self.memberships.get(channel)
        if joined is not None:
            joined.discard(group)
            if not joined:
                # A channel that leaves its last group is gone: forget its queue and state.
                del self.memberships[channel]
                self.channels.pop(channel, None)
                self.overflowed.discard(channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        # An event is not queued back to the socket it came from (``meta.origin``): that
        # socket has it from its ack, and would only wake up to drop it.
        meta = message.get("meta")
        origin = meta.get("origin") if meta else None
        for channel in tuple(self.groups.get(group, ())):
            if channel != origin:
                self.send_nowait(channel, message)

    async def flush(self) -> None:
        self.channels.clear()
        self.groups.clear()
        self.memberships.clear()
        self.overflowed.clear()

    async def close(self) -> None:
        return None
