"""Real server processes and real websocket clients for the process-level tests."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bench import harness
from bench.harness import ROOT, ServerProcess, clean_env
from websockets.asyncio.client import ClientConnection, connect

PG_URL = os.environ.get("REFDESK_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REFDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_services() -> None:
    """Skip without PostgreSQL and Redis, unless CI requires them (then fail)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "services.py")],
        env={
            **os.environ,
            "REFDESK_TEST_DATABASE_URL": PG_URL,
            "REFDESK_TEST_REDIS_URL": REDIS_URL,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 1:
        pytest.fail(done.stderr)
    if done.returncode == 2:
        pytest.skip(done.stderr.strip())


def fresh_postgres(name: str) -> str:
    return harness.fresh_postgres(PG_URL, name)


def desk_env(tmp: Path, *, postgres: str | None = None, redis: bool = False) -> dict[str, str]:
    extra = {
        "REFDESK_SECRET_KEY": secrets.token_urlsafe(48),
        "REFDESK_ALLOWED_HOSTS": "127.0.0.1",
        "REFDESK_SECURE": "0",
        "REFDESK_DATA_DIR": str(tmp / "data"),
        "REFDESK_LOG_LEVEL": "WARNING",
        "REFDESK_SWEEP_SECONDS": "1",
        # These tests fire claims as fast as sockets allow; the allowance is tested elsewhere.
        "REFDESK_RATE_FRAMES_PER_SECOND": "100000",
        "REFDESK_RATE_FRAMES_BURST": "100000",
        "REFDESK_RATE_MESSAGES_PER_CHAT_MINUTE": "100000",
        "REFDESK_MAX_SOCKETS_PER_ADDRESS": "100000",
        "PYTHONPATH": str(ROOT / "src"),
    }
    if postgres:
        extra["REFDESK_DATABASE_URL"] = postgres
    if redis:
        extra["REFDESK_REDIS_URL"] = REDIS_URL
    return clean_env(**extra)


def make_desk(
    env: dict[str, str], tmp: Path, *, patrons: int, librarians: int, waiting: int
) -> dict[str, Any]:
    return harness.make_desk(
        env, tmp / "setup.json", patrons=patrons, librarians=librarians, waiting=waiting
    )


@contextmanager
def servers(env: dict[str, str], tmp: Path, count: int) -> Iterator[list[ServerProcess]]:
    started = [ServerProcess(env, tmp / f"server{i}.log").start() for i in range(count)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()


class Socket:
    """A websocket client that collects frames and waits for the one it wants."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(self._listen())

    @classmethod
    async def open(cls, port: int, path: str, cookie: str | None = None) -> Socket:
        ws = await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie} if cookie else None,
            compression=None,
            ping_interval=None,
            open_timeout=20,
        )
        return cls(ws)

    async def _listen(self) -> None:
        try:
            async for raw in self.ws:
                await self.frames.put(json.loads(raw))
        except Exception:  # noqa: S110 - the socket closed; waiting callers time out
            pass

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def until(
        self, frame_type: str, match: Any = None, timeout: float = 10
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame.get("type") == frame_type and (match is None or match(frame)):
                    return frame

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()
