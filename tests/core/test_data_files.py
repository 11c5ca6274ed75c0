"""The data folder and the SQLite files belong to the server's account alone."""

from __future__ import annotations

import os
import stat
import urllib.request
from pathlib import Path

from bench.harness import ServerProcess, run_refdesk

from tests.scale.support import desk_env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_desk_creates_its_folder_and_database_files_owner_only(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    data = tmp_path / "data"
    previous = os.umask(0o022)  # a common default: new files readable by everyone
    try:
        run_refdesk(env, "migrate")
        with ServerProcess(env, tmp_path / "server.log").start() as server:
            with urllib.request.urlopen(f"{server.base_url}/api/campuses", timeout=10) as page:  # noqa: S310
                assert page.status == 200
            files = sorted(path.name for path in data.iterdir())
            modes = {name: mode(data / name) for name in files}
    finally:
        os.umask(previous)
    assert mode(data) == 0o700
    assert {"refdesk.sqlite3", "refdesk.sqlite3-wal", "refdesk.sqlite3-shm"} <= set(files)
    for name in ("refdesk.sqlite3", "refdesk.sqlite3-wal", "refdesk.sqlite3-shm"):
        assert modes[name] == 0o600, (name, oct(modes[name]))
