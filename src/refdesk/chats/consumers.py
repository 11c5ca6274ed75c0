"""The patron and staff sockets: parse, authorise, call an action, answer."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings

from refdesk.accounts.actions import do_close_console, do_open_console
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import (
    get_librarian_for_session_key,
    get_live_librarians,
    get_live_names,
    list_presence,
)
from refdesk.chats import actions
from refdesk.chats.actions import NewMessage, clean_client_id, clean_message_body
from refdesk.chats.models import Chat, ChatState, EndReason, Sender
from refdesk.chats.pipeline import get_pipeline
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_by_token,
    get_chat_for_staff,
    get_queue_counts,
    list_active_chats_with_messages,
    list_messages,
    list_recently_ended_chats,
    list_waiting_page,
    page_waiting_chats,
    patron_chat_view,
)
from refdesk.core.consumers import FrameConsumer, TokenBucket, require_bool, require_int
from refdesk.core.db import run_action
from refdesk.core.errors import ActionError
from refdesk.core.process import PROCESS_ID
from refdesk.core.realtime import STAFF_GROUP, chat_group, librarian_group
from refdesk.core.sockets import census

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _session_key(scope: dict[str, Any]) -> str:
    """The session cookie of a websocket handshake.

    The console needs nothing else from Django's session machinery, and reads the session
    itself (at connect, and again with every frame), so the staff socket does without
    Channels' session middleware and the work it adds to every frame sent.
    """
    from django.conf import settings
    from django.http.cookie import parse_cookie

    for name, value in scope.get("headers", []):
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(settings.SESSION_COOKIE_NAME, "")
    return ""


def _patron_state(token: str, after: int) -> tuple[Chat, dict[str, Any]] | None:
    chat = get_chat_by_token(token)
    if chat is None:
        return None
    state = {
        "type": "chat.state",
        "chat": patron_chat_view(chat),
        "messages": list_messages(chat, after=after),
    }
    return chat, state


class PatronConsumer(FrameConsumer):
    """``/ws/patron/<token>/?after=<seq>``: one patron token, one chat.

    The token decides the chat; a ``chat_id`` in a frame is ignored. The consumer keeps
    the chat's state and librarian as its events pass by, so that typing needs no query;
    every write is still checked by its action against the database.
    """

    handlers = {
        "message.send": "handle_message_send",
        "typing": "handle_typing",
        "chat.leave": "handle_leave",
    }
    chat_id: int = 0
    chat_state: str = ""
    librarian_id: int | None = None

    async def connect(self) -> None:
        await self.accept()
        token = str(self.scope["url_route"]["kwargs"].get("token", ""))
        # Subscribe before reading the state: an event is then in the state or after it.
        found_id = await run_action(_chat_id_for_token, token)
        if found_id is None:
            await self.send_error("not_found", "This chat link is not valid.")
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not census.admit_chat(found_id):
            await self.refuse("chat", accepted=True)
            return
        self.chat_id = found_id
        await self.channel_layer.group_add(chat_group(found_id), self.channel_name)
        found = await run_action(_patron_state, token, self.query_int("after"))
        if found is None:  # purged between the two reads
            await self.close(code=CLOSE_FORBIDDEN)
            return
        chat, state = found
        self.chat_state, self.librarian_id = chat.state, chat.librarian_id
        await self.send_json(state)

    async def disconnect(self, code: int) -> None:
        if self.chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
            if census.release_chat(self.chat_id) == 0:
                _chat_allowances.pop(self.chat_id, None)
            self.chat_id = 0

    def observe(self, message: dict[str, Any]) -> None:
        event_type = message.get("event_type")
        if event_type == "chat.claimed":
            self.chat_state = ChatState.ACTIVE
            self.librarian_id = message.get("meta", {}).get("librarian_id")
        elif event_type == "chat.ended":
            self.chat_state = ChatState.ENDED

    async def handle_message_send(self, frame: dict[str, Any]) -> dict[str, Any]:
        self.take_chat_allowance()
        message = NewMessage(
            self.chat_id,
            Sender.PATRON,
            clean_message_body(frame.get("body")),
            clean_client_id(frame.get("client_id")),
            origin=self.channel_name,
        )
        return {"message": await get_pipeline().submit(message)}

    def take_chat_allowance(self) -> None:
        """One message from this chat's allowance, shared by all its sockets in this
        process (each socket also has its own frame allowance)."""
        allowance = _chat_allowances.get(self.chat_id)
        if allowance is None:
            per_minute = settings.REFDESK["MESSAGES_PER_CHAT_MINUTE"]
            allowance = _chat_allowances[self.chat_id] = TokenBucket(per_minute / 60, per_minute)
        wait = allowance.take()
        if wait:
            raise ActionError(
                "rate_limited",
                "This chat is sending messages too fast; wait a moment.",
                retry_after=math.ceil(wait * 10) / 10,
            )

    async def handle_typing(self, frame: dict[str, Any]) -> None:
        active = require_bool(frame, "active")
        if self.chat_state == ChatState.ACTIVE:
            await actions.do_send_typing(
                self.chat_id, sender=Sender.PATRON, active=active, librarian_id=self.librarian_id
            )

    async def handle_leave(self, frame: dict[str, Any]) -> dict[str, Any]:
        await run_action(_leave, self.chat_id)
        return {"chat_id": self.chat_id, "state": ChatState.ENDED}


# Each open chat's message allowance in this process, while it has a socket here.
_chat_allowances: dict[int, TokenBucket] = {}


def _chat_id_for_token(token: str) -> int | None:
    chat = get_chat_by_token(token)
    return chat.pk if chat else None


def _leave(chat_id: int) -> None:
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "This chat no longer exists.")
    actions.do_end_chat(chat, reason=EndReason.PATRON_LEFT)


def _snapshot(librarian: Librarian, after: int) -> dict[str, Any]:
    from refdesk.tickets.selectors import count_tickets_by_campus, list_tickets_page

    # The counts and the cursor first, in one statement: the console applies to the counts
    # exactly the events after ``event_id``.
    counts = get_queue_counts()
    waiting, _more = list_waiting_page(limit=settings.REFDESK["SNAPSHOT_WAITING"])
    tickets, _more = list_tickets_page()
    tickets_by_campus = count_tickets_by_campus()
    return {
        "type": "snapshot",
        "event_id": counts.event_id,
        "me": {
            "librarian_id": librarian.pk,
            "display_name": librarian.display_name,
            "campus": librarian.home_campus.slug,
            "role": librarian.role,
        },
        "waiting": waiting,
        "waiting_total": counts.total,
        "waiting_by_campus": counts.by_campus,
        "active": list_active_chats_with_messages(librarian),
        "ended": list_recently_ended_chats(librarian, after_event=after),
        "presence": list_presence(),
        "tickets": tickets,
        "tickets_total": sum(tickets_by_campus.values()),
        "tickets_by_campus": tickets_by_campus,
    }


# The consoles this process holds, for the session sweep.
_consoles: dict[str, StaffConsumer] = {}


async def recheck_console_sessions() -> int:
    """Close every console of this process whose session has ended; returns how many."""
    watched = {
        channel: (console.session_key, console.librarian)
        for channel, console in list(_consoles.items())
        if console.librarian is not None
    }
    sessions = {key: lib.pk for key, lib in watched.values() if key and lib is not None}
    live = await run_action(get_live_names, sessions)
    ended = 0
    for channel, (key, _librarian) in watched.items():
        if key not in live and channel in _consoles:
            ended += 1
            await _consoles[channel].end_session()
    return ended


def _chat_with_messages(chat: Chat) -> dict[str, Any]:
    return {**chat_summary(chat), "messages": list_messages(chat)}


def as_librarian(session_key: str, librarian_id: int) -> Librarian:
    """The librarian this session still belongs to, as the database has them now (a
    changed role counts at once); ``ActionError("unauthenticated")`` once it has ended."""
    librarian = get_live_librarians({session_key: librarian_id}).get(session_key)
    if librarian is None or librarian.pk != librarian_id:
        raise ActionError("unauthenticated", "Your session has ended; log in again.")
    return librarian


def _claim(session_key: str, librarian_id: int, chat_id: int) -> dict[str, Any]:
    librarian = as_librarian(session_key, librarian_id)
    return _chat_with_messages(actions.do_claim_chat(chat_id, acting_librarian=librarian))


def _end(session_key: str, librarian_id: int, chat_id: int, closing: object) -> Chat:
    librarian = as_librarian(session_key, librarian_id)
    return actions.check_end_chat_by_librarian(chat_id, acting_librarian=librarian, closing=closing)


def _typing_allowed(session_key: str, librarian_id: int, chat_id: int) -> None:
    as_librarian(session_key, librarian_id)
    chat = get_chat_for_staff(chat_id)
    if chat is None or chat.librarian_id != librarian_id or chat.state != ChatState.ACTIVE:
        raise ActionError(
            "not_yours", "You can only type in your own active chats.", chat_id=chat_id
        )


def _queue_page(session_key: str, librarian_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    as_librarian(session_key, librarian_id)
    return page_waiting_chats(campus=frame.get("campus"), before=frame.get("before"))


def _ticket_page(session_key: str, librarian_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    from refdesk.tickets.selectors import page_tickets

    as_librarian(session_key, librarian_id)
    return page_tickets(
        campus=frame.get("campus"),
        state=frame.get("state"),
        before=frame.get("before"),
        owner=frame.get("owner"),
        q=frame.get("q"),
    )


def _dismiss(session_key: str, librarian_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    librarian = as_librarian(session_key, librarian_id)
    dismissed, skipped = actions.check_dismiss_chats(
        frame.get("chat_ids"), acting_librarian=librarian, reason=frame.get("reason")
    )
    return {"dismissed": dismissed, "skipped": skipped}


def _fetch(session_key: str, librarian_id: int, chat_id: int) -> dict[str, Any]:
    librarian = as_librarian(session_key, librarian_id)
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if (
        chat.state != ChatState.WAITING
        and chat.librarian_id != librarian.pk
        and not librarian.is_supervisor
    ):
        raise ActionError("not_yours", "That chat belongs to another librarian.", chat_id=chat_id)
    return _chat_with_messages(chat)


class StaffConsumer(FrameConsumer):
    """``/ws/staff/?after=<event id>``: a logged-in librarian's console.

    Every frame is authorised: each action checks the librarian's right to the chat it
    names, and the sweeper re-reads the sessions of all of this process's consoles every
    few seconds in one query (:func:`recheck_console_sessions`), so a logout, an expiry or
    a password change closes the socket and stops its events.
    """

    handlers = {
        "chat.claim": "handle_claim",
        "chat.fetch": "handle_fetch",
        "message.send": "handle_message_send",
        "typing": "handle_typing",
        "chat.end": "handle_end",
        "queue.list": "handle_queue_list",
        "ticket.list": "handle_ticket_list",
        "chat.dismiss": "handle_dismiss",
    }
    librarian: Librarian | None = None
    joined: Librarian | None = None
    session_key: str = ""

    async def connect(self) -> None:
        await self.accept()
        self.session_key = _session_key(self.scope)
        librarian = await run_action(get_librarian_for_session_key, self.session_key)
        if librarian is None:
            await self.send_error("unauthenticated", "Log in as a librarian to use the console.")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.librarian = self.joined = librarian
        _consoles[self.channel_name] = self
        await self.channel_layer.group_add(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_add(librarian_group(librarian.pk), self.channel_name)
        await run_action(
            do_open_console, librarian, channel_name=self.channel_name, process=PROCESS_ID
        )
        await self.send_json(await run_action(_snapshot, librarian, self.query_int("after")))

    async def disconnect(self, code: int) -> None:
        _consoles.pop(self.channel_name, None)
        if self.joined is None:
            return
        joined, self.joined, self.librarian = self.joined, None, None
        await self.channel_layer.group_discard(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_discard(librarian_group(joined.pk), self.channel_name)
        await run_action(do_close_console, joined, channel_name=self.channel_name)

    async def end_session(self) -> None:
        """The session behind this console has ended: say so and close."""
        if self.librarian is not None:
            await self.send_error("unauthenticated", "Your session has ended; log in again.")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.librarian is not None:
            await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def relay_event(self, message: dict[str, Any]) -> None:
        # A console whose session has ended hears nothing more, even if it only listens.
        if self.librarian is not None:
            await super().relay_event(message)

    def _me(self) -> Librarian:
        if self.librarian is None:  # pragma: no cover - connect closed the socket
            raise ActionError("unauthenticated", "Log in as a librarian.")
        return self.librarian

    async def send_error(self, code: str, message: str, *, ref: Any = None, **extra: Any) -> None:
        await super().send_error(code, message, ref=ref, **extra)
        if code == "unauthenticated" and self.librarian is not None:
            self.librarian = None
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def handle_claim(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        return {"chat": await run_action(_claim, self.session_key, self._me().pk, chat_id)}

    async def handle_fetch(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        return {"chat": await run_action(_fetch, self.session_key, self._me().pk, chat_id)}

    async def handle_message_send(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        me = self._me()
        message = NewMessage(
            chat_id,
            Sender.LIBRARIAN,
            clean_message_body(frame.get("body")),
            clean_client_id(frame.get("client_id")),
            librarian_id=me.pk,
            librarian_name=me.display_name,
            origin=self.channel_name,
            session_key=self.session_key,
        )
        return {"message": await get_pipeline().submit(message)}

    async def handle_typing(self, frame: dict[str, Any]) -> None:
        chat_id = require_int(frame, "chat_id")
        active = require_bool(frame, "active")
        me = self._me()
        await run_action(_typing_allowed, self.session_key, me.pk, chat_id)
        await actions.do_send_typing(
            chat_id, sender=Sender.LIBRARIAN, active=active, librarian_id=me.pk
        )

    async def handle_end(self, frame: dict[str, Any]) -> dict[str, Any]:
        chat_id = require_int(frame, "chat_id")
        chat = await run_action(
            _end, self.session_key, self._me().pk, chat_id, frame.get("closing", "")
        )
        return {"chat_id": chat.pk, "state": chat.state}

    async def handle_queue_list(self, frame: dict[str, Any]) -> dict[str, Any]:
        return await run_action(_queue_page, self.session_key, self._me().pk, frame)

    async def handle_ticket_list(self, frame: dict[str, Any]) -> dict[str, Any]:
        return await run_action(_ticket_page, self.session_key, self._me().pk, frame)

    async def handle_dismiss(self, frame: dict[str, Any]) -> dict[str, Any]:
        return await run_action(_dismiss, self.session_key, self._me().pk, frame)
