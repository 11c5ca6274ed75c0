"""Where async code runs database work: two lanes of dedicated threads per process.

- The **write lane** (:func:`run_action`) is one thread with one persistent connection. It
  carries the message pipeline's batches and the short conditional updates of actions,
  serialises this process's writes (SQLite has one writer anyway) and costs one hop per
  call instead of asgiref's heavier bookkeeping. Events that actions publish after their
  commit are collected on that thread and published on the event loop when the call
  returns.
- The **read lane** (:func:`run_read`) is a small pool of threads
  (``REFDESK_READ_THREADS``), each with its own persistent connection, for snapshots,
  lists and searches: a reconnect storm or a long search waits there, not in front of
  message acknowledgements. Each read runs in one read-only transaction (a consistent
  view of the database): on SQLite a deferred ``BEGIN`` under ``PRAGMA query_only``, which
  WAL lets run beside the writer and never takes the write lock whatever the
  database's ``transaction_mode``; on PostgreSQL ``REPEATABLE READ, READ ONLY``. A read
  publishes nothing: an event sent from one is refused.

With ``REFDESK_READ_THREADS=0`` reads run on the write lane, in autocommit, as they did
before there were two lanes (still refusing events).

At debug level the logger ``refdesk.db`` gives each call's wait in its lane's queue and
its run time; with debug off, the lanes do not read the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from refdesk.core.realtime import Outgoing, collect_outbox, publish, refuse_events, take_outbox

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("refdesk.db")

# How long closing a lane waits for a call still running on one of its threads.
CLOSE_WAIT_SECONDS = 30.0

_Call = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]
# (call, fn, args, kwargs, loop, future, queued at: None when debug is off)
_Job = tuple[
    _Call,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    float | None,
]


class _ThreadRole(threading.local):
    """What the current thread is: a read-lane thread's connections are read-only."""

    reads: bool = False


_role = _ThreadRole()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up (a timeout, a closed socket)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class Lane:
    """Threads that take calls from one queue, each keeping its own database connection.

    Threads start on first use; :meth:`close` lets each finish what was queued before it,
    close its connection and stop, and the next call starts the lane again.
    """

    def __init__(self, name: str, *, reads: bool) -> None:
        self.name = name
        self.reads = reads
        self.queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def submit(
        self, call: _Call, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        queued = time.perf_counter() if logger.isEnabledFor(logging.DEBUG) else None
        self.queue.put((call, fn, args, kwargs, loop, future, queued))
        if not self.threads:
            self.start()
        return future

    def size(self) -> int:
        if not self.reads:
            return 1
        return max(1, settings.REFDESK["READ_THREADS"])

    def start(self) -> None:
        with self.lock:
            if self.threads:
                return
            jobs = self.queue
            self.threads = [
                threading.Thread(
                    target=self._work,
                    args=(jobs,),
                    name=f"refdesk-db-{self.name}-{n}",
                    daemon=True,
                )
                for n in range(self.size())
            ]
            for thread in self.threads:
                thread.start()

    def close(self) -> None:
        """Stop the lane's threads once they have run what was queued; each closes its
        connections first. Safe to call from any thread but the lane's own."""
        with self.lock:
            threads, self.threads = self.threads, []
            # Calls made from now on start new threads on a new queue; the old threads
            # drain the old one, then find one stop mark each.
            jobs, self.queue = self.queue, queue.SimpleQueue()
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join(CLOSE_WAIT_SECONDS)
            if thread.is_alive():
                logger.warning("%s did not stop within %s s", thread.name, CLOSE_WAIT_SECONDS)
        if any(thread.is_alive() for thread in threads):
            return
        # A call made while the lane was closing may have landed behind the stop marks.
        late = []
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                late.append(job)
        for job in late:
            self.queue.put(job)
        if late and not self.threads:
            self.start()

    def _work(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        _role.reads = self.reads
        try:
            while (job := jobs.get()) is not None:
                self._run(job)
        finally:
            connections.close_all()

    def _run(self, job: _Job) -> None:
        call, fn, args, kwargs, loop, future, queued = job
        if future.cancelled():  # nobody waits for it any more: skip the work
            return
        started = time.perf_counter() if queued is not None else 0.0
        result: Any = None
        error: BaseException | None = None
        try:
            result = call(fn, args, kwargs)
        except BaseException as exc:
            error = exc
        if queued is not None:
            done = time.perf_counter()
            logger.debug(
                "%s lane: %s waited %.2f ms, ran %.2f ms%s",
                self.name,
                getattr(fn, "__qualname__", type(fn).__qualname__),
                (started - queued) * 1000,
                (done - started) * 1000,
                "" if error is None else f" ({type(error).__name__})",
            )
        # A loop that has closed has nobody left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, future, result, error)


_write_lane = Lane("write", reads=False)
_read_lane = Lane("read", reads=True)


def _forget_broken_connections() -> None:
    # A broken connection (a restarted server) is replaced on the next call.
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()


def _call_write(
    fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[T, list[Outgoing]]:
    collect_outbox()
    try:
        return fn(*args, **kwargs), take_outbox()
    except DatabaseError:
        take_outbox()
        _forget_broken_connections()
        raise
    except BaseException:
        take_outbox()
        raise


def _call_read(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    refuse_events()
    try:
        if _role.reads:
            with transaction.atomic():
                return fn(*args, **kwargs)
        # No read threads: on the write lane's connection, in autocommit, so that a read
        # never takes the write lock.
        return fn(*args, **kwargs)
    except DatabaseError:
        _forget_broken_connections()
        raise
    finally:
        take_outbox()


async def run_action(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a sync action on the write lane; publish its events after its commit."""
    result, outbox = await _write_lane.submit(_call_write, fn, args, kwargs)
    if outbox:
        await publish(outbox)
    return result  # type: ignore[no-any-return]


async def run_read(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a sync read (a selector) on the read lane, in one read-only transaction.

    For snapshots, lists, searches and checks that write nothing and need not see a
    write of their own call. It publishes nothing: an event sent from ``fn`` raises
    :class:`~refdesk.core.realtime.EventsRefusedError`, and on a read thread any write fails.
    """
    lane = _read_lane if settings.REFDESK["READ_THREADS"] > 0 else _write_lane
    return await lane.submit(_call_read, fn, args, kwargs)  # type: ignore[no-any-return]


def _make_read_only(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """A read thread's new connection: read-only, and its transactions never take the
    write lock (``transaction_mode=IMMEDIATE`` is the writer's)."""
    if not _role.reads:
        return
    if connection.vendor == "sqlite":
        connection.transaction_mode = None  # type: ignore[attr-defined]  # plain, deferred BEGIN
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = ON")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
                "READ ONLY"
            )


connection_created.connect(_make_read_only, dispatch_uid="refdesk.core.db.read_only")


def close_connections_sync() -> None:
    """Close both lanes' connections (their threads stop; the next call starts them)."""
    _read_lane.close()
    _write_lane.close()


async def close_connections() -> None:
    """:func:`close_connections_sync` from the event loop, without blocking it."""
    await asyncio.get_running_loop().run_in_executor(None, close_connections_sync)
