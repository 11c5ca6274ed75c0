"""The frame handling shared by the patron and staff sockets.

A bad frame (binary, oversize, not JSON, not an object, no type, unknown type, wrong
fields) gets an ``error`` frame with a ``code`` and a ``message``; the socket stays open
and nothing is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from refdesk.core.errors import ActionError

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


def _parse_cursor(query_string: bytes, name: str) -> int:
    for part in query_string.decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if key == name and value.isdigit() and len(value) < 19:  # noqa: PLR2004
            return int(value)
    return 0


class FrameConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """A JSON-envelope websocket: every frame is ``{"type": ..., "ref"?: ...}``."""

    handlers: dict[str, str] = {}

    def query_int(self, name: str) -> int:
        return _parse_cursor(self.scope.get("query_string", b""), name)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, code: str, message: str, *, ref: Any = None, **extra: Any) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message, **extra}
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.send_error("bad_frame", "Binary frames are not accepted; send JSON text.")
            return
        limit = settings.REFDESK["MAX_FRAME_BYTES"]
        if len(text_data) > limit or len(text_data.encode("utf-8", "surrogatepass")) > limit:
            await self.send_error(
                "too_large", f"Frames are limited to {limit // 1024} KiB.", limit=limit
            )
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("bad_json", "That frame is not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self.send_error("bad_frame", "A frame is a JSON object with a type.")
            return
        ref = frame.get("ref")
        if ref is not None and not (isinstance(ref, str | int) and len(str(ref)) <= 64):  # noqa: PLR2004
            ref = None
        frame_type = frame.get("type")
        handler_name = self.handlers.get(frame_type) if isinstance(frame_type, str) else None
        if handler_name is None:
            await self.send_error(
                "unknown_type",
                f"Unknown frame type {str(frame_type)[:40]!r}.",
                ref=ref,
            )
            return
        handler: Handler = getattr(self, handler_name)
        try:
            result = await handler(frame)
        except ActionError as exc:
            await self.send_error(exc.code, exc.message, ref=ref, **exc.extra)
            return
        except Exception:
            logger.exception("frame %s failed", frame_type)
            await self.send_error("internal", "Something went wrong; nothing was changed.", ref=ref)
            return
        if result is not None:
            await self.send_json({"type": "ack", "ref": ref, **result})

    async def relay_event(self, message: dict[str, Any]) -> None:
        """Forward an event published by an action to this socket."""
        await self.send_json(message["event"])


def require_int(frame: dict[str, Any], field: str) -> int:
    """A positive integer field of a frame, or ``ActionError("invalid")``."""
    value = frame.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 2**62:
        raise ActionError("invalid", f"{field} must be a positive whole number.", field=field)
    return value


def require_bool(frame: dict[str, Any], field: str) -> bool:
    value = frame.get(field)
    if not isinstance(value, bool):
        raise ActionError("invalid", f"{field} must be true or false.", field=field)
    return value
