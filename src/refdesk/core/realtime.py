"""The only module that touches the channel layer.

Actions build an event while their transaction is open and hand it to
:func:`send_event_on_commit`; only the send waits for the commit, so no client can be told
of a row it cannot read yet. Each event is encoded to JSON once, however many sockets
receive it.

Actions that async code runs through :func:`refdesk.core.db.run_action` collect their
after-commit sends in an outbox that is published on the event loop when the action
returns, without a thread hop per event. Actions called from sync code (a command, a
sync view) send at once through ``async_to_sync``. Reads that async code runs through
:func:`refdesk.core.db.run_read` may send nothing: :class:`EventsRefusedError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer  # noqa: TID251
from django.db import transaction

STAFF_GROUP = "staff"
# Every patron socket, for what concerns every patron at once (whether anyone is online).
PATRONS_GROUP = "patrons"
# Every console of a supervisor or an admin, for what only they are told (incidents, a
# librarian's call for a supervisor).
SUPERVISORS_GROUP = "supervisors"
# The layer message type that consumers forward to their socket as-is.
RELAY_TYPE = "relay.event"
# The meta of an event that a chat's group carries for the patron alone (the patron's
# form of an event staff get in another form, their queue place, a librarian's typing):
# a console that watches the chat sits in that group too, and drops what carries it.
PATRON_ONLY = "patron_only"
FOR_PATRON: Mapping[str, Any] = {PATRON_ONLY: True}


def for_patron(meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``meta`` (facts for the patron's socket) marked as for the patron alone."""
    return {**(meta or {}), PATRON_ONLY: True}


Outgoing = tuple[tuple[str, ...], dict[str, Any]]


def get_layer() -> Any:
    """The configured channel layer, for consumers to join and leave groups."""
    return get_channel_layer()


def chat_group(chat_id: int) -> str:
    """The group of the patron sockets of one chat."""
    return f"chat.{chat_id}"


def librarian_group(librarian_id: int) -> str:
    """The group of every console socket of one librarian."""
    return f"librarian.{librarian_id}"


def watch_group(chat_id: int) -> str:
    """The group of the consoles that watch one chat, for what only staff see of it (its
    internal notes). A watching console also joins the chat's own group for its lines."""
    return f"watch.{chat_id}"


async def join_groups(channel_name: str, groups: Iterable[str]) -> None:
    """Add one socket's channel to ``groups`` (a console starting to watch a chat)."""
    layer = get_channel_layer()
    for group in groups:
        await layer.group_add(group, channel_name)


async def leave_groups(channel_name: str, groups: Iterable[str]) -> None:
    """Take one socket's channel out of ``groups``."""
    layer = get_channel_layer()
    for group in groups:
        await layer.group_discard(group, channel_name)


# One encoder for every frame: json.dumps with options builds a new encoder per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class JSONText:
    """A value that is JSON text already (the database builds a chat's messages as one
    JSON array): :func:`encode` writes it into the frame as it is, neither parsed nor
    encoded again."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"JSONText({self.text[:60]!r})"


def _encode_with_json_text(event: Mapping[str, Any]) -> str:
    """Encode ``event`` with each :class:`JSONText` in it spliced in as it is.

    Each one is encoded first as a placeholder string that carries a fresh random nonce,
    so no text from a patron can pose as one; then the placeholders are replaced.
    """
    nonce = secrets.token_hex(8)
    texts: list[str] = []

    def placeholder(value: Any) -> str:
        if not isinstance(value, JSONText):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        texts.append(value.text)
        return f"{nonce}:{len(texts) - 1}"

    encoded = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), default=placeholder
    ).encode(event)
    first, *rest = encoded.split(f'"{nonce}:')
    spliced = [first]
    for part in rest:
        index, after = part.split('"', 1)
        spliced += (texts[int(index)], after)
    return "".join(spliced)


def _encode_frame(event: Mapping[str, Any]) -> str:
    try:
        return _encode(event)
    except TypeError:
        # Rare and long (a snapshot, a transcript): only these carry JSON text.
        return _encode_with_json_text(event)


def encode(event: Mapping[str, Any]) -> str:
    if isinstance(event, EncodedEvent):
        return event.text
    return _encode_frame(event)


class EncodedEvent(dict[str, Any]):
    """An event that remembers its JSON text: encoded once for every socket that gets it,
    the sender's ``ack`` included."""

    text: str

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> EncodedEvent:
        made = cls(event)
        made.text = _encode_frame(event)
        return made


def layer_message(
    event: Mapping[str, Any], meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The layer message that carries one event: its JSON text, plus facts for consumers."""
    message: dict[str, Any] = {
        "type": RELAY_TYPE,
        "event_type": event["type"],
        "text": encode(event),
    }
    if meta:
        message["meta"] = dict(meta)
    return message


class EventsRefusedError(RuntimeError):
    """An event sent from a read (``run_read``): reads publish nothing."""


class _Outbox(threading.local):
    items: list[Outgoing] | None = None
    refusing: bool = False


_outbox = _Outbox()


def collect_outbox() -> None:
    """Start collecting after-commit sends on this thread (see ``run_action``)."""
    _outbox.items = []


def refuse_events() -> None:
    """Refuse every send on this thread until :func:`take_outbox` (see ``run_read``)."""
    _outbox.items = None
    _outbox.refusing = True


def take_outbox() -> list[Outgoing]:
    items = _outbox.items or []
    _outbox.items = None
    _outbox.refusing = False
    return items


def _after_commit(groups: tuple[str, ...], message: dict[str, Any]) -> None:
    if _outbox.items is not None:
        _outbox.items.append((groups, message))
        return
    layer = get_channel_layer()
    if layer is not None:
        for group in groups:
            async_to_sync(layer.group_send)(group, message)


def send_event_on_commit(
    groups: Iterable[str], event: Mapping[str, Any], *, meta: Mapping[str, Any] | None = None
) -> None:
    """Send ``event`` to every group once the current transaction commits.

    ``meta`` travels beside the event to the consumers and is not sent to the socket.
    Outside a transaction the send happens at once (Django's ``on_commit`` contract).
    """
    send_events_on_commit([(groups, event, meta)])


def send_events_on_commit(
    events: Iterable[tuple[Iterable[str], Mapping[str, Any], Mapping[str, Any] | None]],
) -> None:
    """Many events (groups, event, meta) for one commit: one hook, in order."""
    if _outbox.refusing:
        raise EventsRefusedError("A read publishes nothing; run writes with run_action.")
    messages = [(tuple(groups), layer_message(event, meta)) for groups, event, meta in events]
    if messages:
        transaction.on_commit(lambda: _after_commit_many(messages))


def _after_commit_many(messages: list[Outgoing]) -> None:
    for groups, message in messages:
        _after_commit(groups, message)


async def publish(items: Iterable[Outgoing]) -> None:
    """Hand collected messages to the layer, in order (on the event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for groups, message in items:
        for group in groups:
            await layer.group_send(group, message)


async def send_event(
    groups: Iterable[str], event: Mapping[str, Any], *, meta: Mapping[str, Any] | None = None
) -> None:
    """Send an event that records nothing (typing) from async code, at once."""
    await publish([(tuple(groups), layer_message(event, meta))])


async def layer_round_trip() -> None:
    """Send a message to a fresh channel of the layer and receive it (the health check)."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("No channel layer is configured.")
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "relay.health"})
    message = await layer.receive(channel)
    if message.get("type") != "relay.health":
        raise RuntimeError("The channel layer answered with another message.")
    # Channels' layers let go of a channel (Redis: unsubscribe) when a receive on it is
    # cancelled; the receive above has returned, so one more is started and cancelled.
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
