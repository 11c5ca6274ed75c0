"""The frame handling shared by the patron and staff sockets.

A bad frame (binary, oversize, not JSON, not an object, no type, unknown type, wrong
fields) gets an ``error`` frame with a ``code`` and a ``message``; the socket stays open
and nothing is stored. A socket that sends faster than its allowance gets
``rate_limited`` errors with a ``retry_after`` until it slows down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from refdesk.core.errors import ActionError
from refdesk.core.realtime import RELAY_TYPE, EncodedEvent, encode, get_layer
from refdesk.core.sockets import CLOSE_TOO_MANY, REFUSALS, census, socket_address

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]

CLOSE_TOO_SLOW = 4008
MAX_JSON_DEPTH = 32


def _parse_cursor(query_string: bytes, name: str) -> int:
    for part in query_string.decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if key == name and value.isdigit() and len(value) < 19:  # noqa: PLR2004
            return int(value)
    return 0


def _too_deep(text: str) -> bool:
    """Whether brackets nest deeper than any frame of the protocol needs."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _clean_ref(ref: object) -> str | int | None:
    """A frame's ``ref`` if it can be echoed: a short string of real characters, or an int."""
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None
    if len(str(ref)) > 64:  # noqa: PLR2004
        return None
    if isinstance(ref, str) and any("\ud800" <= char <= "\udfff" for char in ref):
        return None
    return ref


class TokenBucket:
    """``rate`` frames a second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> float:
        """Take one token; 0 when allowed, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def _writable_flag(send: Any) -> asyncio.Event | None:
    """uvicorn's flag for "the client is reading", if ``send`` is uvicorn's.

    uvicorn's websocket protocol pauses writing when the client stops reading (its write
    buffer passes the high-water mark), and its ``send`` then waits. Peeking at the flag
    lets a socket whose client keeps up write at once, with no extra task switch; without
    it (another server, the test communicator) every event goes through the queue.
    """
    flag = getattr(getattr(send, "__self__", None), "writable", None)
    return flag if isinstance(flag, asyncio.Event) else None


class FrameConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """A JSON-envelope websocket: every frame is ``{"type": ..., "ref"?: ...}``.

    What the socket is sent goes straight to the client while it keeps up. While a write
    waits for a slow client, later frames queue in the consumer itself, counted in bytes;
    past ``REFDESK_SOCKET_QUEUE_BYTES`` the socket leaves its groups, drops the queue and
    is closed with 4008, and its client resumes from its cursor. Events are read from the
    channel layer as they come, whatever the client does, so no layer (in-process or
    Redis) holds a queue for a client that does not read.
    """

    bucket: TokenBucket
    address: str = ""
    # What waits for a slow client (made when first needed), and what wakes its writer.
    outgoing: collections.deque[str] | None = None
    more_to_write: asyncio.Event | None = None
    # The task that empties the queue for a slow client, and the one that closes it.
    writer: asyncio.Task[None] | None = None
    closing: asyncio.Task[None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Run the consumer: client frames in order, and layer events in order, each on a
        feeder of its own.

        Channels' loop makes a new task and an ``asyncio.wait`` for every message, and
        holds events back while a frame's handler waits for the database. Here a frame
        waiting for its batch to commit does not delay the events to the same socket;
        frames are still handled one after another, and so are events.
        """
        self.scope = scope
        self.start_outgoing(send)
        self.channel_layer = get_layer()
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send

        async def feed_frames() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.receive":
                    await self.receive(message.get("text"), message.get("bytes"))
                else:
                    await self.dispatch(message)

        async def feed_events() -> None:
            while True:
                message = await self.channel_receive()
                if message["type"] == RELAY_TYPE:
                    await self.relay_event(message)
                else:
                    await self.dispatch(message)

        handshake = await receive()
        self.address = socket_address(scope)
        refusal = census.admit(address=self.address)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            # The handshake first: events that arrive while connect() reads the snapshot
            # wait in the channel's queue, so the snapshot is always the first frame.
            try:
                await self.dispatch(handshake)
            except StopConsumer:
                return
            client = asyncio.create_task(feed_frames())
            events = asyncio.create_task(feed_events())
            try:
                await asyncio.wait((client, events), return_when=asyncio.FIRST_COMPLETED)
            finally:
                tasks = [client, events]
                tasks.extend(task for task in (self.writer, self.closing) if task is not None)
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, StopConsumer):
                        await task
        finally:
            census.release(address=self.address)

    async def refuse(self, cap: str, *, accepted: bool = False) -> None:
        """Say which connection cap this socket passes (accepting it first, so that the
        client can read why), and close with 4429."""
        if not accepted:
            await self.base_send({"type": "websocket.accept"})
        await self.send_error("too_many_connections", REFUSALS[cap])
        await self.base_send({"type": "websocket.close", "code": CLOSE_TOO_MANY})

    def start_outgoing(self, send: Any) -> None:
        """Nothing waits to be written to the client yet; the queue is made when something
        first has to wait (most sockets never need one)."""
        self.outgoing = None
        self.more_to_write = None
        self.outgoing_bytes = 0
        self.sending = 0
        self.overflowed = False
        self.writable = _writable_flag(send)

    def frame_handler(self, frame_type: str) -> Handler | None:
        """The coroutine that answers a client frame of ``frame_type``; None: unknown."""
        return None

    def query_int(self, name: str) -> int:
        return _parse_cursor(self.scope.get("query_string", b""), name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels runs Django's connection clean-up in a thread before every message;
        # this desk keeps its connections on its own database thread (core.db), so the
        # hop would only cost time on the hottest path.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send_text(encode(content))

    async def send_text(self, text: str) -> None:
        """One text frame to the client: at once if nothing is waiting, else after what
        is (an answer to the client's own frame may wait for a slow client)."""
        if self.outgoing or self.sending:
            self.queue_text(text)
            return
        self.sending += 1
        try:
            await self.base_send({"type": "websocket.send", "text": text})
        finally:
            self.sending -= 1
            if self.outgoing and self.more_to_write is not None:
                self.more_to_write.set()

    async def relay_text(self, text: str) -> None:
        """An event to the client without waiting for the client: written at once when
        it keeps up, else queued (and past the cap, the socket is closed)."""
        if self.overflowed:
            return
        if not self.outgoing and not self.sending and self.writable and self.writable.is_set():
            # While the client keeps up, uvicorn's send writes to the transport and returns
            # without suspending; nothing else runs between the check and the write.
            self.sending += 1
            try:
                await self.base_send({"type": "websocket.send", "text": text})
            finally:
                self.sending -= 1
            return
        self.queue_text(text)

    def queue_text(self, text: str) -> None:
        if self.overflowed:
            return
        if self.outgoing is None:
            self.outgoing = collections.deque()
            self.more_to_write = asyncio.Event()
        self.outgoing.append(text)
        self.outgoing_bytes += sys.getsizeof(text)
        if self.outgoing_bytes > settings.REFDESK["SOCKET_QUEUE_BYTES"]:
            self.overflow()
            return
        self.start_writer()

    def start_writer(self) -> None:
        if self.writer is None:
            self.writer = asyncio.create_task(self.write_out())
        elif self.more_to_write is not None:
            self.more_to_write.set()

    async def write_out(self) -> None:
        """The writer: empties the queue, in order, at the pace the client reads."""
        outgoing, more = self.outgoing, self.more_to_write
        if outgoing is None or more is None:  # pragma: no cover - started by queue_text
            return
        while True:
            while outgoing and not self.overflowed:
                text = outgoing.popleft()
                self.outgoing_bytes -= sys.getsizeof(text)
                self.sending += 1
                try:
                    await self.base_send({"type": "websocket.send", "text": text})
                finally:
                    self.sending -= 1
            more.clear()
            if not outgoing:
                await more.wait()

    def overflow(self) -> None:
        """The client stopped reading: forget what waits for it and close with 4008."""
        if self.overflowed:
            return
        self.overflowed = True
        waiting = self.outgoing_bytes
        if self.outgoing is not None:
            self.outgoing.clear()
        self.outgoing_bytes = 0
        logger.warning("closing a socket whose client is %d bytes behind", waiting)
        self.closing = asyncio.create_task(self.close_behind())

    async def close_behind(self) -> None:
        # Leave the groups at once, so nothing more is queued for this socket anywhere;
        # the close frame itself goes out when (if ever) the client reads again.
        await self.disconnect(CLOSE_TOO_SLOW)
        with contextlib.suppress(Exception):
            await self.base_send({"type": "websocket.close", "code": CLOSE_TOO_SLOW})

    async def send_error(self, code: str, message: str, *, ref: Any = None, **extra: Any) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message, **extra}
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def parse(self, text_data: str | None) -> dict[str, Any] | None:
        """The frame as a JSON object, or None after answering with an error.

        Refused frames count against the socket's allowance too, so garbage cannot flood.
        """
        problem: tuple[str, str] | None = None
        frame: Any = None
        limit = settings.REFDESK["MAX_FRAME_BYTES"]
        if text_data is None:
            problem = ("bad_frame", "Binary frames are not accepted; send JSON text.")
        elif len(text_data) * 4 > limit and (
            len(text_data) > limit or len(text_data.encode("utf-8", "surrogatepass")) > limit
        ):
            problem = ("too_large", f"Frames are limited to {limit // 1024} KiB.")
        elif _too_deep(text_data):
            problem = ("bad_json", "That frame nests too deeply.")
        else:
            try:
                frame = json.loads(text_data)
            except (ValueError, RecursionError):
                problem = ("bad_json", "That frame is not valid JSON.")
            else:
                if not isinstance(frame, dict):
                    problem = ("bad_frame", "A frame is a JSON object with a type.")
        if problem is None:
            return cast(dict[str, Any], frame)
        wait = self.allowance().take()
        if wait:
            await self.send_error(
                "rate_limited",
                "You are sending too fast; slow down a little.",
                retry_after=math.ceil(wait * 10) / 10,
            )
        elif problem[0] == "too_large":
            await self.send_error(*problem, limit=limit)
        else:
            await self.send_error(*problem)
        return None

    def allowance(self) -> TokenBucket:
        bucket = getattr(self, "bucket", None)
        if bucket is None:
            limits = settings.REFDESK
            bucket = self.bucket = TokenBucket(limits["FRAMES_PER_SECOND"], limits["FRAMES_BURST"])
        return bucket

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.parse(text_data)
        if frame is None:
            return
        ref = _clean_ref(frame.get("ref"))
        wait = self.allowance().take()
        if wait:
            await self.send_error(
                "rate_limited",
                "You are sending too fast; slow down a little.",
                ref=ref,
                retry_after=math.ceil(wait * 10) / 10,
            )
            return
        frame_type = frame.get("type")
        handler = self.frame_handler(frame_type) if isinstance(frame_type, str) else None
        if handler is None:
            await self.send_error(
                "unknown_type", f"Unknown frame type {str(frame_type)[:40]!r}.", ref=ref
            )
            return
        try:
            result = await handler(frame)
        except ActionError as exc:
            await self.send_error(exc.code, exc.message, ref=ref, **exc.extra)
            return
        except Exception:
            logger.exception("frame %s failed", frame_type)
            await self.send_error("internal", "Something went wrong; nothing was changed.", ref=ref)
            return
        if result is None:
            return
        message = result.get("message")
        if len(result) == 1 and isinstance(message, EncodedEvent):
            # The stored message is already JSON (its broadcast): splice it into the ack.
            ack = f'{{"type":"ack","ref":{json.dumps(ref)},"message":{message.text}}}'
            await self.send_text(ack)
            return
        if result and isinstance(result, EncodedEvent):
            # Encoded where it was read: the ack's own fields go in front of its members.
            await self.send_text(f'{{"type":"ack","ref":{json.dumps(ref)},{result.text[1:]}')
            return
        await self.send_json({"type": "ack", "ref": ref, **result})

    async def relay_event(self, message: dict[str, Any]) -> None:
        """Forward an event published by an action to this socket (already encoded)."""
        meta = message.get("meta")
        if meta is not None and meta.get("origin") == self.channel_name:
            return  # the sender has it from its ack
        self.observe(message)
        await self.relay_text(message["text"])

    def observe(self, message: dict[str, Any]) -> None:
        """Let a consumer learn from an event it forwards (hook)."""

    async def relay_overflow(self, message: dict[str, Any]) -> None:
        """The in-process layer's own backstop: this socket fell too far behind."""
        self.overflow()


def require_int(frame: dict[str, Any], field: str) -> int:
    """A positive integer field of a frame, or ``ActionError("invalid")``."""
    value = frame.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 2**62:
        raise ActionError("invalid", f"{field} must be a positive whole number.", field=field)
    return value


def optional_int(frame: dict[str, Any], field: str) -> int | None:
    """An optional positive whole number of a frame (an id, a cursor): None when absent or
    null, else as :func:`require_int`."""
    if frame.get(field) is None:
        return None
    return require_int(frame, field)


def require_bool(frame: dict[str, Any], field: str) -> bool:
    value = frame.get(field)
    if not isinstance(value, bool):
        raise ActionError("invalid", f"{field} must be true or false.", field=field)
    return value
