"""The console socket, ``/ws/staff/?after=<event id>``: a logged-in librarian's console.

Thin and generic: the session cookie names the librarian, the socket joins the staff
group and the librarian's own, sends the ``snapshot`` the apps' parts make up
(``core.frames.build_snapshot``) and relays events; each frame goes to the handler an app
registered for it (``core.frames.staff_frames``), on its database lane, in one call with
the check that the session is still live and the librarian has the frame's role. The
sweeper re-reads the sessions of all of this process's consoles every few seconds in one
query (:func:`recheck_console_sessions`), so a logout, an expiry or a password change
closes even a console that only listens. A deactivated account's consoles close at once:
the action sends ``account.deactivated`` to the librarian's group, which this consumer
answers with ``error unauthenticated`` and the close 4401 (it is never forwarded).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie

from refdesk.accounts.access import access_librarian
from refdesk.accounts.actions import do_close_console, do_open_console
from refdesk.accounts.events import ACCOUNT_DEACTIVATED
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import get_librarian_for_session_key, get_live_names
from refdesk.chats.frames import watch_ended
from refdesk.core.consumers import FrameConsumer, Handler
from refdesk.core.db import run_action, run_read
from refdesk.core.errors import ActionError
from refdesk.core.frames import Frame, StaffFrame, build_snapshot, staff_frames
from refdesk.core.process import PROCESS_ID
from refdesk.core.realtime import (
    PATRON_ONLY,
    STAFF_GROUP,
    SUPERVISORS_GROUP,
    EncodedEvent,
    chat_group,
    join_groups,
    leave_groups,
    librarian_group,
    watch_group,
)

CLOSE_UNAUTHENTICATED = 4401


def session_key_of(scope: dict[str, Any]) -> str:
    """The session cookie of a websocket handshake.

    The console needs nothing else from Django's session machinery, and reads the session
    itself (at connect, and again with every frame), so the staff socket does without
    Channels' session middleware and the work it adds to every frame sent.
    """
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(settings.SESSION_COOKIE_NAME, "")
    return ""


def _snapshot(librarian: Librarian, after: int) -> EncodedEvent:
    """The snapshot for the librarian the session named a moment before, as JSON text made
    on the read lane: the event loop only writes it out."""
    return EncodedEvent.of(build_snapshot(librarian, after))


def _run_frame(
    frame_type: str, session_key: str, librarian_id: int, frame: Frame
) -> dict[str, Any] | None:
    """A synchronous frame's handler with the live librarian, on the handler's lane."""
    registered = staff_frames()[frame_type]
    librarian = access_librarian(session_key, librarian_id, role=registered.role)
    result: dict[str, Any] | None = registered.handler(librarian, frame)
    if result is not None and registered.lane == "read":
        # A read's answer can be long (a chat's whole transcript): encode it here, on the
        # read lane, rather than on the event loop that every socket shares.
        return EncodedEvent.of(result)
    return result


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
    live = await run_read(get_live_names, sessions)
    ended = 0
    for channel, (key, _librarian) in watched.items():
        if key not in live and channel in _consoles:
            ended += 1
            await _consoles[channel].end_session()
    return ended


class StaffConsumer(FrameConsumer):
    librarian: Librarian | None = None
    joined: Librarian | None = None
    session_key: str = ""
    # Whether this console is in the supervisors' group (decided at connect: a change of
    # role counts for the groups at the next connect; every frame re-reads the role).
    supervising: bool = False
    # The chats this console watches (``chat.watch``); empty for almost every console.
    watching: frozenset[int] = frozenset()

    @property
    def librarian_id(self) -> int:
        return self._me().pk

    @property
    def librarian_name(self) -> str:
        return self._me().display_name

    async def connect(self) -> None:
        await self.accept()
        self.session_key = session_key_of(self.scope)
        librarian = await run_read(get_librarian_for_session_key, self.session_key)
        if librarian is None:
            await self.send_error("unauthenticated", "Log in as a librarian to use the console.")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.librarian = self.joined = librarian
        _consoles[self.channel_name] = self
        # Subscribe before reading the snapshot: an event is then in it or after it.
        await self.channel_layer.group_add(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_add(librarian_group(librarian.pk), self.channel_name)
        if librarian.is_supervisor:
            # What only supervisors are told (incidents, calls for a supervisor) reaches every
            # one of their consoles.
            self.supervising = True
            await self.channel_layer.group_add(SUPERVISORS_GROUP, self.channel_name)
        await run_action(
            do_open_console, librarian, channel_name=self.channel_name, process=PROCESS_ID
        )
        try:
            snapshot = await run_read(_snapshot, librarian, self.query_int("after"))
        except ActionError as exc:
            await self.send_error(exc.code, exc.message, **exc.extra)
            return
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        _consoles.pop(self.channel_name, None)
        if self.joined is None:
            return
        joined, self.joined, self.librarian = self.joined, None, None
        await self.channel_layer.group_discard(STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_discard(librarian_group(joined.pk), self.channel_name)
        if self.supervising:
            self.supervising = False
            await self.channel_layer.group_discard(SUPERVISORS_GROUP, self.channel_name)
        for chat_id in self.watching:
            await self.unwatch(chat_id)
        await run_action(do_close_console, joined, channel_name=self.channel_name)

    async def end_session(self, message: str = "Your session has ended; log in again.") -> None:
        """The session behind this console has ended: say so (``error unauthenticated``
        with ``message``) and close with 4401."""
        if self.librarian is not None:
            await self.send_error("unauthenticated", message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.librarian is not None:
            await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def relay_event(self, message: dict[str, Any]) -> None:
        # A console whose session has ended hears nothing more, even if it only listens.
        if self.librarian is None:
            return
        if message.get("event_type") == ACCOUNT_DEACTIVATED:
            # Internal, never forwarded: the account was switched off, and its sessions
            # are gone already; close now rather than at the next session sweep.
            await self.end_session("Your account has been deactivated.")
            return
        if self.watching:
            # A watched chat's group also carries what is for its patron alone.
            meta = message.get("meta")
            if meta is not None and meta.get(PATRON_ONLY):
                return
            ended = watch_ended(message.get("event_type", ""), message.get("text", ""))
            if ended in self.watching:
                await self.unwatch(ended)
        await super().relay_event(message)

    async def watch(self, chat_id: int) -> None:
        """Join a chat's group and its watchers' group (see ``chats.frames``)."""
        if chat_id not in self.watching:
            self.watching = self.watching | {chat_id}
            await join_groups(self.channel_name, (chat_group(chat_id), watch_group(chat_id)))

    async def unwatch(self, chat_id: int) -> None:
        if chat_id in self.watching:
            self.watching = self.watching - {chat_id}
            await leave_groups(self.channel_name, (chat_group(chat_id), watch_group(chat_id)))

    def _me(self) -> Librarian:
        if self.librarian is None:  # pragma: no cover - connect closed the socket
            raise ActionError("unauthenticated", "Log in as a librarian.")
        return self.librarian

    async def send_error(self, code: str, message: str, *, ref: Any = None, **extra: Any) -> None:
        await super().send_error(code, message, ref=ref, **extra)
        if code == "unauthenticated" and self.librarian is not None:
            self.librarian = None
            await self.close(code=CLOSE_UNAUTHENTICATED)

    def frame_handler(self, frame_type: str) -> Handler | None:
        registered = staff_frames().get(frame_type)
        if registered is None:
            return None
        return self._handler(registered)

    def _handler(self, registered: StaffFrame) -> Handler:
        if registered.lane is None:

            async def run_async(frame: Frame) -> dict[str, Any] | None:
                result: dict[str, Any] | None = await registered.handler(self, frame)
                return result

            return run_async

        lane = run_read if registered.lane == "read" else run_action

        async def run_sync(frame: Frame) -> dict[str, Any] | None:
            me = self._me()
            return await lane(_run_frame, registered.type, self.session_key, me.pk, frame)

        return run_sync
