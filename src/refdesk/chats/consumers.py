"""The patron and staff sockets: parse, authorise, call an action, answer."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from refdesk.accounts.actions import do_close_console, do_open_console
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import get_librarian_for_user, list_presence
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatState, EndReason, Sender
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_by_token,
    get_chat_for_staff,
    get_last_event_id,
    list_active_chats_with_messages,
    list_messages,
    list_recently_ended_chats,
    list_waiting_chats,
    patron_chat_view,
)
from refdesk.core.consumers import FrameConsumer, require_bool, require_int
from refdesk.core.errors import ActionError
from refdesk.core.process import PROCESS_ID
from refdesk.core.realtime import STAFF_GROUP, chat_group, librarian_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class PatronConsumer(FrameConsumer):
    """``/ws/patron/<token>/?after=<seq>``: one patron token, one chat."""

    handlers = {
        "message.send": "handle_message_send",
        "typing": "handle_typing",
        "chat.leave": "handle_leave",
    }
    chat_id: int = 0

    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"].get("token", ""))
        chat = await database_sync_to_async(get_chat_by_token)(token)
        await self.accept()
        if chat is None:
            await self.send_error("not_found", "This chat link is not valid.")
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.chat_id = chat.pk
        await self.channel_layer.group_add(chat_group(chat.pk), self.channel_name)
        state = await database_sync_to_async(self._state)(chat, self.query_int("after"))
        await self.send_json(state)

    @staticmethod
    def _state(chat: Chat, after: int) -> dict[str, Any]:
        return {
            "type": "chat.state",
            "chat": patron_chat_view(chat),
            "messages": list_messages(chat, after=after),
        }

    async def disconnect(self, code: int) -> None:
        if self.chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)

    async def _chat(self) -> Chat:
        chat: Chat | None = await database_sync_to_async(get_chat_for_staff)(self.chat_id)
        if chat is None:
            raise ActionError("not_found", "This chat no longer exists.")
        return chat

    async def handle_message_send(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat = await self._chat()
        message = await database_sync_to_async(actions.check_send_patron_message)(
            chat, client_id=frame.get("client_id"), body=frame.get("body")
        )
        return {"message": message}

    async def handle_typing(self, frame: dict[str, Any]) -> None:
        active = require_bool(frame, "active")
        chat = await self._chat()
        if chat.state == ChatState.ACTIVE:
            await actions.do_send_typing(
                chat.pk, sender=Sender.PATRON, active=active, librarian_id=chat.librarian_id
            )

    async def handle_leave(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat = await self._chat()
        await database_sync_to_async(actions.do_end_chat)(chat, reason=EndReason.PATRON_LEFT)
        return {"chat_id": chat.pk, "state": ChatState.ENDED}


class StaffConsumer(FrameConsumer):
    """``/ws/staff/?after=<event id>``: a logged-in librarian's console."""

    handlers = {
        "chat.claim": "handle_claim",
        "chat.fetch": "handle_fetch",
        "message.send": "handle_message_send",
        "typing": "handle_typing",
        "chat.end": "handle_end",
    }
    librarian: Librarian | None = None

    async def connect(self) -> None:
        librarian = await database_sync_to_async(get_librarian_for_user)(self.scope.get("user"))
        await self.accept()
        if librarian is None:
            await self.send_error("unauthenticated", "Log in as a librarian to use the console.")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.librarian = librarian
        await self.channel_layer.group_add(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_add(librarian_group(librarian.pk), self.channel_name)
        await database_sync_to_async(do_open_console)(
            librarian, channel_name=self.channel_name, process=PROCESS_ID
        )
        snapshot = await database_sync_to_async(self._snapshot)(librarian, self.query_int("after"))
        await self.send_json(snapshot)

    @staticmethod
    def _snapshot(librarian: Librarian, after: int) -> dict[str, Any]:
        event_id = get_last_event_id()
        return {
            "type": "snapshot",
            "event_id": event_id,
            "me": {
                "librarian_id": librarian.pk,
                "display_name": librarian.display_name,
                "campus": librarian.home_campus.slug,
                "role": librarian.role,
            },
            "waiting": list_waiting_chats(),
            "active": list_active_chats_with_messages(librarian),
            "ended": list_recently_ended_chats(librarian, after_event=after),
            "presence": list_presence(),
        }

    async def disconnect(self, code: int) -> None:
        if self.librarian is None:
            return
        await self.channel_layer.group_discard(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_discard(
            librarian_group(self.librarian.pk), self.channel_name
        )
        await database_sync_to_async(do_close_console)(
            self.librarian, channel_name=self.channel_name
        )

    def _me(self) -> Librarian:
        if self.librarian is None:  # pragma: no cover - connect closed the socket
            raise ActionError("unauthenticated", "Log in as a librarian.")
        return self.librarian

    async def handle_claim(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        me = self._me()
        chat = await database_sync_to_async(actions.do_claim_chat)(chat_id, acting_librarian=me)
        return {"chat": await database_sync_to_async(_with_messages)(chat)}

    async def handle_fetch(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        me = self._me()
        chat = await database_sync_to_async(get_chat_for_staff)(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if chat.state != ChatState.WAITING and chat.librarian_id != me.pk and not me.is_supervisor:
            raise ActionError(
                "not_yours", "That chat belongs to another librarian.", chat_id=chat_id
            )
        return {"chat": await database_sync_to_async(_with_messages)(chat)}

    async def handle_message_send(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        message = await database_sync_to_async(actions.check_send_librarian_message)(
            chat_id,
            acting_librarian=self._me(),
            client_id=frame.get("client_id"),
            body=frame.get("body"),
        )
        return {"message": message}

    async def handle_typing(self, frame: dict[str, Any]) -> None:
        chat_id = require_int(frame, "chat_id")
        active = require_bool(frame, "active")
        me = self._me()
        chat = await database_sync_to_async(get_chat_for_staff)(chat_id)
        if chat is None or chat.librarian_id != me.pk or chat.state != ChatState.ACTIVE:
            raise ActionError(
                "not_yours", "You can only type in your own active chats.", chat_id=chat_id
            )
        await actions.do_send_typing(
            chat_id, sender=Sender.LIBRARIAN, active=active, librarian_id=me.pk
        )

    async def handle_end(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        chat = await database_sync_to_async(actions.check_end_chat_by_librarian)(
            chat_id, acting_librarian=self._me(), closing=frame.get("closing", "")
        )
        return {"chat_id": chat.pk, "state": chat.state}


def _with_messages(chat: Chat) -> dict[str, Any]:
    return {**chat_summary(chat), "messages": list_messages(chat)}
