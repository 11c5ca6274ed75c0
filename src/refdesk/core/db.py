"""Where async code runs database work: one dedicated thread per process.

One thread keeps one persistent connection, serialises this process's writes (SQLite has
one writer anyway) and costs one hop per call instead of asgiref's heavier bookkeeping.
Events that actions publish after their commit are collected on that thread and
published on the event loop when the call returns.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from django.db import DatabaseError, connections

from refdesk.core.realtime import Outgoing, collect_outbox, publish, take_outbox

P = ParamSpec("P")
T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refdesk-db")


def _call(
    fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[T, list[Outgoing]]:
    collect_outbox()
    try:
        return fn(*args, **kwargs), take_outbox()
    except DatabaseError:
        take_outbox()
        # A broken connection (a restarted server) is replaced on the next call.
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        raise
    except BaseException:
        take_outbox()
        raise


async def run_action(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a sync action (or selector) on the database thread; publish its events after."""
    loop = asyncio.get_running_loop()
    result, outbox = await loop.run_in_executor(
        _executor, functools.partial(_call, fn, args, kwargs)
    )
    if outbox:
        await publish(outbox)
    return result


def _close_all() -> None:
    connections.close_all()


def close_connections_sync() -> None:
    _executor.submit(_close_all).result()
