"""The in-process channel layer: groups, the sender's own socket, and stalled sockets."""

from __future__ import annotations

import asyncio

from refdesk.core.layers import OVERFLOW, LocalChannelLayer, Mailbox
from refdesk.core.realtime import layer_message


def _event(n: int, origin: str | None = None) -> dict[str, object]:
    meta = {"origin": origin} if origin else None
    return layer_message({"type": "message", "seq": n}, meta)


async def _drain(layer: LocalChannelLayer, channel: str) -> list[dict[str, object]]:
    got = []
    while layer.channels.get(channel) is not None and not layer.channels[channel].empty():
        got.append(await layer.receive(channel))
    return got


async def test_a_group_send_reaches_every_member_but_the_socket_it_came_from() -> None:
    layer = LocalChannelLayer()
    sender, peer, other = [await layer.new_channel() for _ in range(3)]
    for channel in (sender, peer):
        await layer.group_add("chat.1", channel)
    await layer.group_add("chat.2", other)

    await layer.group_send("chat.1", _event(1, origin=sender))
    await layer.group_send("chat.1", _event(2))

    assert [m["text"] for m in await _drain(layer, peer)] == [
        '{"type":"message","seq":1}',
        '{"type":"message","seq":2}',
    ]
    assert [m["text"] for m in await _drain(layer, sender)] == ['{"type":"message","seq":2}']
    assert await _drain(layer, other) == []


async def test_a_socket_that_falls_behind_gets_one_overflow_and_nothing_more() -> None:
    layer = LocalChannelLayer(capacity=3)
    slow = await layer.new_channel()
    await layer.group_add("staff", slow)

    for n in range(6):
        await layer.group_send("staff", _event(n))

    got = await _drain(layer, slow)
    assert [m.get("type") for m in got] == ["relay.event"] * 3 + [OVERFLOW["type"]]


async def test_leaving_the_last_group_forgets_the_channel() -> None:
    layer = LocalChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("chat.1", channel)
    await layer.group_add("staff", channel)
    await layer.group_send("chat.1", _event(1))

    await layer.group_discard("chat.1", channel)
    assert channel in layer.channels
    await layer.group_discard("staff", channel)

    assert channel not in layer.channels
    assert layer.groups == {}
    assert layer.memberships == {}


async def test_a_waiting_receiver_wakes_for_an_event() -> None:
    layer = LocalChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("chat.1", channel)
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)

    await layer.group_send("chat.1", _event(7))

    assert (await asyncio.wait_for(waiting, 1))["text"] == '{"type":"message","seq":7}'


async def test_a_cancelled_wait_loses_no_event() -> None:
    mailbox = Mailbox()
    waiting = asyncio.ensure_future(mailbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)

    mailbox.put({"n": 1})
    mailbox.put({"n": 2})

    assert [await mailbox.get(), await mailbox.get()] == [{"n": 1}, {"n": 2}]
    assert mailbox.empty()
