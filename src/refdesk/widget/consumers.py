"""The patron socket, ``/ws/patron/<token>/?after=<seq>``: one patron token, one chat.

Thin and generic: the token opens the chat, the socket joins the chat's group, sends its
``chat.state`` and relays its events; each frame goes to the handler the chats app
registered for it (``core.frames.patron_frames``). A ``chat_id`` in a frame is ignored:
the token decides the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from refdesk.chats.frames import (
    find_chat_id,
    forget_chat_allowance,
    observe_patron_event,
    open_patron_chat,
    patron_socket_closed,
    patron_socket_opened,
)
from refdesk.core.consumers import FrameConsumer, Handler
from refdesk.core.db import run_action, run_read
from refdesk.core.frames import patron_frames
from refdesk.core.realtime import PATRONS_GROUP, chat_group
from refdesk.core.sockets import census

CLOSE_FORBIDDEN = 4403


class PatronConsumer(FrameConsumer):
    chat_id: int = 0
    chat_state: str = ""
    librarian_id: int | None = None
    # The write that counts this socket as the patron being here (its chat had not ended).
    counting: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        await self.accept()
        token = str(self.scope["url_route"]["kwargs"].get("token", ""))
        found_id = await run_read(find_chat_id, token)
        if found_id is None:
            await self.send_error("not_found", "This chat link is not valid.")
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not census.admit_chat(found_id):
            await self.refuse("chat", accepted=True)
            return
        self.chat_id = found_id
        # Subscribe before reading the state: an event is then in the state or after it.
        await self.channel_layer.group_add(chat_group(found_id), self.channel_name)
        await self.channel_layer.group_add(PATRONS_GROUP, self.channel_name)
        opening = await run_read(open_patron_chat, token, self.query_int("after"))
        if opening is None:  # purged between the two reads
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.chat_state, self.librarian_id = opening.chat_state, opening.librarian_id
        await self.send_json(opening.state)
        if opening.chat_state != "ended":
            # Counted on the write lane without holding the socket's first frame or its
            # client's frames; the close waits for it, so the two are written in order.
            self.counting = asyncio.create_task(
                run_action(patron_socket_opened, found_id, self.channel_name)
            )

    async def disconnect(self, code: int) -> None:
        if self.chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
            await self.channel_layer.group_discard(PATRONS_GROUP, self.channel_name)
            if census.release_chat(self.chat_id) == 0:
                forget_chat_allowance(self.chat_id)
            if self.counting is not None:
                counting, self.counting = self.counting, None
                with contextlib.suppress(Exception):
                    await counting
                await run_action(patron_socket_closed, self.chat_id, self.channel_name)
            self.chat_id = 0

    def observe(self, message: dict[str, Any]) -> None:
        observe_patron_event(self, str(message.get("event_type")), message.get("meta") or {})

    def frame_handler(self, frame_type: str) -> Handler | None:
        handler = patron_frames().get(frame_type)
        return functools.partial(handler, self) if handler is not None else None
