"""Start and stop real server processes for the benchmark and the process-level tests."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child server: none of the test runner's settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REFDESK_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(extra)
    return env


def refdesk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "refdesk", *args]


def run_refdesk(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run one ``refdesk`` command to completion; raise with its output if it fails."""
    done = subprocess.run(
        refdesk_command(*args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"refdesk {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class ServerProcess:
    """``refdesk serve`` on a free port, with its own log file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        *,
        open_files: int | None = None,
    ) -> None:
        self.env = env
        self.port = port or free_port()
        self.log_path = log_path
        # A hard limit on the server's open files (it raises its soft limit to the hard).
        self.open_files = open_files
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> ServerProcess:
        log = self.log_path.open("ab")
        limit = self.open_files

        def limit_open_files() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.process = subprocess.Popen(
            refdesk_command("serve", "--host", "127.0.0.1", "--port", str(self.port)),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_open_files if limit is not None else None,  # noqa: PLW1509
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what a crash or the OOM killer does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def fresh_postgres(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``server_url``; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def make_desk(
    env: dict[str, str],
    out: Path,
    *,
    patrons: int,
    librarians: int,
    waiting: int,
    history: int = 0,
) -> dict[str, Any]:
    """Fill a fresh desk with bench/setup_desk.py; the setup it wrote."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "setup_desk.py"),
            "--out",
            str(out),
            "--patrons",
            str(patrons),
            "--librarians",
            str(librarians),
            "--waiting",
            str(waiting),
            "--history",
            str(history),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return dict(json.loads(out.read_text()))
