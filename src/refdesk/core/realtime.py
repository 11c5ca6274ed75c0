"""The only module that touches the channel layer.

Actions build an event while their transaction is open and hand it to
:func:`send_event_on_commit`; only the send waits for the commit, so no client can be told
of a row it cannot read yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer  # noqa: TID251
from django.db import transaction

STAFF_GROUP = "staff"
# The layer message type that consumers forward to their socket as-is.
RELAY_TYPE = "relay.event"


def chat_group(chat_id: int) -> str:
    """The group of the patron sockets of one chat."""
    return f"chat.{chat_id}"


def librarian_group(librarian_id: int) -> str:
    """The group of every console socket of one librarian."""
    return f"librarian.{librarian_id}"


def _layer_message(event: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": RELAY_TYPE, "event": dict(event)}


def _send_now_sync(groups: tuple[str, ...], event: Mapping[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = _layer_message(event)
    for group in groups:
        async_to_sync(layer.group_send)(group, message)


def send_event_on_commit(groups: Iterable[str], event: Mapping[str, Any]) -> None:
    """Send ``event`` to every group once the current transaction commits.

    Outside a transaction the send happens at once (Django's ``on_commit`` contract).
    """
    frozen = tuple(groups)
    transaction.on_commit(lambda: _send_now_sync(frozen, event))


async def send_event(groups: Iterable[str], event: Mapping[str, Any]) -> None:
    """Send an event that records nothing (typing) from async code, at once."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = _layer_message(event)
    for group in groups:
        await layer.group_send(group, message)
