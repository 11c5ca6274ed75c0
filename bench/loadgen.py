"""The load generator: one asyncio process of websocket clients, for refdesk or the relay.

It opens every patron and librarian socket, then offers messages at fixed rates (half
patron → librarian, half back), then saturates, then measures claim fan-out, then (for
refdesk) offers 1,000 messages a second again beside a reconnect storm of consoles and a
supervisor's stream of ``chat.fetch`` frames. Every
message carries an id; latency is measured from the send to the peer's receipt, in this
one process's clock; loss and duplicates are checked by id and ``seq``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Tracker:
    sent: dict[str, float] = field(default_factory=dict)  # body id -> send time
    delivered: dict[str, int] = field(default_factory=dict)  # body id -> copies received
    acked: set[str] = field(default_factory=set)
    waiters: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seqs: dict[tuple[int, str], set[int]] = field(default_factory=dict)
    duplicates: int = 0
    acked_total: int = 0  # over every phase, for the row count after the run
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.sent.clear()
        self.delivered.clear()
        self.acked.clear()
        self.latencies.clear()


class Client:
    def __init__(self, ws: ClientConnection, tracker: Tracker, side: str) -> None:
        self.ws = ws
        self.tracker = tracker
        self.side = side
        self.claims: dict[int, float] = {}
        self.task = asyncio.create_task(self.listen())

    async def listen(self) -> None:
        tracker = self.tracker
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    body = frame.get("body", "")
                    if not body.startswith("bench "):
                        continue
                    key = body.split(" ", 2)[1]
                    copies = tracker.delivered.get(key, 0) + 1
                    tracker.delivered[key] = copies
                    seen = tracker.seqs.setdefault((frame["chat_id"], self.side), set())
                    if copies > 1 or frame["seq"] in seen:
                        tracker.duplicates += 1
                    seen.add(frame["seq"])
                    started = tracker.sent.get(key)
                    if started is not None:
                        tracker.latencies.append(now - started)
                elif kind == "ack":
                    message = frame.get("message")
                    if message:
                        key = message["body"].split(" ", 2)[1]
                        if key not in tracker.acked:
                            tracker.acked_total += 1
                        tracker.acked.add(key)
                        waiter = tracker.waiters.pop(key, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(None)
                elif kind == "chat.claimed":
                    self.claims[frame["chat_id"]] = now
                elif kind == "error":
                    tracker.errors.append(frame)
        except Exception:  # noqa: S110 - a closed socket ends the listener
            pass


@dataclass
class Desk:
    patrons: list[Client]
    librarians: list[Client]
    chats: list[dict[str, Any]]
    tracker: Tracker


async def open_socket(port: int, path: str, cookie: str | None) -> ClientConnection:
    return await connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie} if cookie else None,
        compression=None,
        max_size=1 << 22,
        ping_interval=None,
        open_timeout=60,
    )


async def open_desk(
    ports: list[int], setup: dict[str, Any], *, patrons: int, batch: int = 100
) -> tuple[Desk, dict[str, float]]:
    """Open every librarian socket, then every patron socket; time the handshakes."""
    tracker = Tracker()
    times: list[float] = []
    ports_cycle = itertools.cycle(ports)

    async def open_one(path: str, port: int, cookie: str | None, side: str) -> Client:
        started = time.perf_counter()
        ws = await open_socket(port, path, cookie)
        await ws.recv()  # the snapshot / chat.state
        times.append(time.perf_counter() - started)
        return Client(ws, tracker, side)

    started = time.perf_counter()
    librarians = await asyncio.gather(
        *(
            open_one("/ws/staff/", next(ports_cycle), lib["cookie"], "librarian")
            for lib in setup["librarians"]
        )
    )
    chats = setup["chats"][:patrons]
    patron_clients: list[Client] = []
    for start in range(0, len(chats), batch):
        patron_clients += await asyncio.gather(
            *(
                open_one(f"/ws/patron/{chat['token']}/", next(ports_cycle), None, "patron")
                for chat in chats[start : start + batch]
            )
        )
    total = time.perf_counter() - started
    stats = {
        "connect_total_s": round(total, 2),
        "connect_p50_ms": round(percentile(times, 50) * 1000, 2),
        "connect_p99_ms": round(percentile(times, 99) * 1000, 2),
    }
    return Desk(patron_clients, list(librarians), chats, tracker), stats


_ids = itertools.count(1)


async def send_one(desk: Desk, index: int, *, from_patron: bool, key: str = "") -> str:
    key = key or f"m{next(_ids)}"
    chat = desk.chats[index]
    body = f"bench {key} {'x' * 60}"
    desk.tracker.sent[key] = time.perf_counter()
    if from_patron:
        await desk.patrons[index].ws.send(
            json.dumps({"type": "message.send", "client_id": key, "body": body})
        )
    else:
        await desk.librarians[chat["librarian"]].ws.send(
            json.dumps(
                {"type": "message.send", "chat_id": chat["chat_id"], "client_id": key, "body": body}
            )
        )
    return key


async def settle(desk: Desk, timeout: float = 20) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if len(desk.tracker.acked) >= len(desk.tracker.sent) and len(desk.tracker.delivered) >= len(
            desk.tracker.sent
        ):
            return
        await asyncio.sleep(0.05)


def summary(desk: Desk, seconds: float) -> dict[str, Any]:
    tracker = desk.tracker
    sent = len(tracker.sent)
    return {
        "sent": sent,
        "acked": len(tracker.acked),
        "delivered": len(tracker.delivered),
        "lost": sent - len(set(tracker.sent) & set(tracker.delivered)),
        "duplicates": tracker.duplicates,
        "p50_ms": round(percentile(tracker.latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(tracker.latencies, 99) * 1000, 2),
        "max_ms": round(max(tracker.latencies, default=float("nan")) * 1000, 2),
        "delivered_per_s": round(len(tracker.delivered) / seconds, 1),
        "errors": len(tracker.errors),
    }


async def offered_rate(desk: Desk, rate: float, seconds: float) -> dict[str, Any]:
    """Offer ``rate`` messages a second for ``seconds``, alternating direction."""
    desk.tracker.reset()
    count = int(rate * seconds)
    chooser = random.Random(int(rate))
    started = time.perf_counter()
    for i in range(count):
        target = started + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send_one(desk, chooser.randrange(len(desk.chats)), from_patron=i % 2 == 0)
    await settle(desk)
    return summary(desk, seconds)


async def saturate(desk: Desk, seconds: float, workers: int = 400) -> dict[str, Any]:
    """As fast as acks allow: ``workers`` senders, each with one message in flight."""
    desk.tracker.reset()
    deadline = time.perf_counter() + seconds
    chooser = random.Random(7)

    loop = asyncio.get_running_loop()

    async def worker(n: int) -> None:
        while time.perf_counter() < deadline:
            index = chooser.randrange(len(desk.chats))
            waiter: asyncio.Future[None] = loop.create_future()
            key = f"m{next(_ids)}"
            desk.tracker.waiters[key] = waiter
            await send_one(desk, index, from_patron=n % 2 == 0, key=key)
            try:
                await asyncio.wait_for(waiter, timeout=10)
            except TimeoutError:
                desk.tracker.waiters.pop(key, None)

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(workers)))
    elapsed = time.perf_counter() - started
    await settle(desk)
    return summary(desk, elapsed)


async def claim_fanout(desk: Desk, waiting: list[int]) -> dict[str, Any]:
    """Claim each waiting chat from one console; time until every console has heard."""
    spans: list[float] = []
    for n, chat_id in enumerate(waiting):
        claimer = desk.librarians[n % len(desk.librarians)]
        started = time.perf_counter()
        await claimer.ws.send(json.dumps({"type": "chat.claim", "chat_id": chat_id, "ref": n}))
        deadline = started + 10
        while time.perf_counter() < deadline:
            if all(chat_id in lib.claims for lib in desk.librarians):
                break
            await asyncio.sleep(0.0005)
        heard = [lib.claims.get(chat_id) for lib in desk.librarians]
        if all(h is not None for h in heard):
            spans.append(max(h for h in heard if h is not None) - started)
    return {
        "claims": len(waiting),
        "fanned_out": len(spans),
        "p50_ms": round(percentile(spans, 50) * 1000, 2),
        "p99_ms": round(percentile(spans, 99) * 1000, 2),
    }


async def _drain(ws: ClientConnection) -> None:
    """Read and drop a socket's frames (a console that only listens)."""
    try:
        async for _ in ws:
            pass
    except Exception:  # noqa: S110 - a closed socket ends the reader
        pass


async def reconnect_storm(
    ports: list[int], setup: dict[str, Any], per_second: float, stop: asyncio.Event
) -> dict[str, Any]:
    """Consoles that disconnect and reconnect, ``per_second`` of them a second: each is a
    second console of one of the desk's librarians (their first stays open), and each
    reconnect reads that librarian's full snapshot. Times each connect to its snapshot."""
    spans: list[float] = []
    failures = 0
    librarians = itertools.cycle(setup["librarians"])
    ports_cycle = itertools.cycle(ports)
    held: list[tuple[ClientConnection, asyncio.Task[None]]] = []

    async def reconnect() -> None:
        nonlocal failures
        if held:
            ws, reader = held.pop(0)
            await ws.close()
            reader.cancel()
        started = time.perf_counter()
        try:
            ws = await open_socket(next(ports_cycle), "/ws/staff/", next(librarians)["cookie"])
            first = json.loads(await ws.recv())
        except Exception:
            failures += 1
            return
        if first.get("type") != "snapshot":
            failures += 1
        spans.append(time.perf_counter() - started)
        held.append((ws, asyncio.create_task(_drain(ws))))

    # The consoles that will take turns: each stays about a second before it reconnects.
    for _ in range(int(per_second)):
        ws = await open_socket(next(ports_cycle), "/ws/staff/", next(librarians)["cookie"])
        await ws.recv()
        held.append((ws, asyncio.create_task(_drain(ws))))
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    n = 0
    while not stop.is_set():
        tasks.append(asyncio.create_task(reconnect()))
        n += 1
        delay = started + n / per_second - time.perf_counter()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    await asyncio.gather(*tasks)
    for ws, reader in held:
        await ws.close()
        reader.cancel()
    return {
        "reconnects": len(spans),
        "per_s": round(len(spans) / (time.perf_counter() - started), 1),
        "failures": failures,
        "snapshot_p50_ms": round(percentile(spans, 50) * 1000, 2),
        "snapshot_p99_ms": round(percentile(spans, 99) * 1000, 2),
    }


async def supervisor_fetches(
    port: int, setup: dict[str, Any], per_second: float, stop: asyncio.Event
) -> dict[str, Any]:
    """The supervisor's console sends ``chat.fetch`` for the long chats of the history,
    ``per_second`` a second, without waiting for the answers; times each to its ``ack``."""
    ws = await open_socket(port, "/ws/staff/", setup["supervisor"]["cookie"])
    await ws.recv()  # the snapshot
    sent: dict[int, float] = {}
    spans: list[float] = []
    messages: list[int] = []
    errors = 0
    done = asyncio.Event()

    async def listen() -> None:
        nonlocal errors
        try:
            async for raw in ws:
                frame = json.loads(raw)
                ref = frame.get("ref")
                if ref is None or ref not in sent:
                    continue
                spans.append(time.perf_counter() - sent.pop(ref))
                if frame.get("type") == "ack":
                    messages.append(len(frame["chat"]["messages"]))
                else:
                    errors += 1
                if stop.is_set() and not sent:
                    done.set()
        except Exception:  # noqa: S110 - a closed socket ends the listener
            pass

    listener = asyncio.create_task(listen())
    chats = itertools.cycle(setup["history"])
    started = time.perf_counter()
    n = 0
    while not stop.is_set():
        sent[n] = time.perf_counter()
        await ws.send(json.dumps({"type": "chat.fetch", "chat_id": next(chats), "ref": n}))
        n += 1
        delay = started + n / per_second - time.perf_counter()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    if sent:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 20)
    await ws.close()
    listener.cancel()
    return {
        "fetches": n,
        "answered": len(spans),
        "per_s": round(len(spans) / (time.perf_counter() - started), 1),
        "errors": errors,
        "messages_per_chat": max(messages, default=0),
        "fetch_p50_ms": round(percentile(spans, 50) * 1000, 2),
        "fetch_p99_ms": round(percentile(spans, 99) * 1000, 2),
    }


async def with_reads(
    desk: Desk,
    ports: list[int],
    setup: dict[str, Any],
    *,
    rate: float,
    seconds: float,
    reconnects_per_second: float = 20,
    fetches_per_second: float = 50,
) -> dict[str, Any]:
    """``offered_rate`` again, while consoles reconnect (each reading a full snapshot) and
    a supervisor fetches long chats, on the same server."""
    stop = asyncio.Event()
    storm = asyncio.create_task(reconnect_storm(ports, setup, reconnects_per_second, stop))
    fetches = asyncio.create_task(supervisor_fetches(ports[0], setup, fetches_per_second, stop))
    await asyncio.sleep(1)  # the reads are under way before the first message
    try:
        phase = await offered_rate(desk, rate, seconds)
    finally:
        stop.set()
    phase["reconnect_storm"] = await storm
    phase["supervisor_fetches"] = await fetches
    return phase


async def close_desk(desk: Desk) -> None:
    for client in desk.patrons + desk.librarians:
        await client.ws.close()
        client.task.cancel()
