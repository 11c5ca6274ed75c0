"""The real ``refdesk`` command, run as a separate process the way an operator runs it."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"


def _env(data_dir: Path, *, debug: bool = True) -> dict[str, str]:
    # The test run's own settings (REFDESK_TESTING, DJANGO_SETTINGS_MODULE) must not leak in.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("REFDESK_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["REFDESK_DATA_DIR"] = str(data_dir)
    if debug:
        env["REFDESK_DEBUG"] = "1"
    return env


def refdesk(
    *args: str, data_dir: Path, stdin: str = "", debug: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refdesk", *args],
        env=_env(data_dir, debug=debug),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("module", ["refdesk", "refdesk.cli"])
def test_help_lists_the_subcommands(module: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "demo", "librarian", "purge", "setup"):
        assert f"\n  {command}" in result.stdout


def _documented_commands() -> set[str]:
    """The commands in the README's table of the ``refdesk`` command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return {
        match.group(1)
        for match in re.finditer(r"^\| `refdesk ([a-z][a-z-]*)", readme, flags=re.MULTILINE)
    }


def _project_commands() -> set[str]:
    """The management commands the desk's own apps add to Django's."""
    return {
        path.stem
        for path in (SRC / "refdesk").glob("*/management/commands/*.py")
        if not path.stem.startswith("_")
    }


def test_help_lists_every_documented_command_and_every_command_of_the_desk(
    tmp_path: Path,
) -> None:
    result = refdesk("--help", data_dir=tmp_path)
    listed = {line.split()[0] for line in result.stdout.splitlines() if re.match(r"^  [a-z]", line)}

    assert result.returncode == 0, result.stderr
    # The lists are found at all (a new command joins them, and must join the help too).
    assert {"serve", "migrate", "demo", "librarian", "purge"} <= _documented_commands()
    assert {"demo", "librarian", "purge"} <= _project_commands()
    assert _documented_commands() | _project_commands() <= listed


def test_migrate_then_demo_build_a_desk_in_the_data_folder(tmp_path: Path) -> None:
    migrated = refdesk("migrate", data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "refdesk.sqlite3").exists()

    for _ in range(2):
        demo = refdesk("demo", data_dir=tmp_path)
        assert demo.returncode == 0, demo.stderr
        assert "ready" in demo.stdout

    again = refdesk("migrate", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "No migrations to apply" in again.stdout

    listed = refdesk("librarian", "list", data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [
        "admin",
        "ana",
        "ben",
        "cai",
        "dee",
    ]


def test_librarian_add_reads_a_piped_password_and_refuses_an_unknown_campus(
    tmp_path: Path,
) -> None:
    assert refdesk("migrate", data_dir=tmp_path).returncode == 0
    assert refdesk("demo", data_dir=tmp_path).returncode == 0

    added = refdesk(
        "librarian",
        "add",
        "eve",
        "--campus",
        "south",
        "--role",
        "librarian",
        data_dir=tmp_path,
        stdin="shelf-mark-42\n",
    )
    refused = refdesk(
        "librarian",
        "add",
        "fay",
        "--campus",
        "moon",
        "--role",
        "librarian",
        data_dir=tmp_path,
        stdin="shelf-mark-42\n",
    )

    assert added.returncode == 0, added.stderr
    assert refused.returncode == 1
    assert "no campus 'moon'" in refused.stderr


def test_other_subcommands_go_to_django(tmp_path: Path) -> None:
    checked = refdesk("check", data_dir=tmp_path)
    unknown = refdesk("no-such-command", data_dir=tmp_path)

    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout
    assert unknown.returncode == 1
    assert "Unknown command" in unknown.stderr


def test_outside_debug_a_missing_secret_is_one_clear_line(tmp_path: Path) -> None:
    result = refdesk("check", data_dir=tmp_path, debug=False)

    assert result.returncode == 1
    assert result.stderr.startswith("refdesk: REFDESK_SECRET_KEY is required")
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_the_health_check_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    assert refdesk("migrate", data_dir=tmp_path).returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "refdesk", "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.1)
        health = json.loads(body)
        assert health["ok"] is True
        assert health["failed"] == []
        assert set(health["checks"]) == {"write_lane", "read_lane", "channel_layer"}
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    # uvicorn re-raises the signal once it has shut down, as service managers expect.
    assert server.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output


def test_setup_export_then_import_stands_up_a_second_desk_and_refuses_a_bad_file(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for data_dir in (first, second):
        data_dir.mkdir()
        assert refdesk("migrate", data_dir=data_dir).returncode == 0
    assert refdesk("demo", "--no-tickets", data_dir=first).returncode == 0
    desk = tmp_path / "desk.toml"

    exported = refdesk("setup", "export", str(desk), data_dir=first)
    assert exported.returncode == 0, exported.stderr
    for _ in range(2):
        imported = refdesk("setup", "import", str(desk), data_dir=second)
        assert imported.returncode == 0, imported.stderr
    assert "Left as they were: admin, ana, ben, cai, dee." in imported.stdout
    again = refdesk("setup", "export", "-", data_dir=second)
    assert again.stdout == desk.read_text(encoding="utf-8")

    bad = tmp_path / "bad.toml"
    bad.write_text(
        desk.read_text(encoding="utf-8").replace('"#1f4e79"', '"blue"', 1), encoding="utf-8"
    )
    refused = refdesk("setup", "import", str(bad), data_dir=second)
    assert refused.returncode == 1
    line = desk.read_text(encoding="utf-8").splitlines().index('colour = "#1f4e79"') + 1
    assert refused.stderr.splitlines() == [
        f"{bad}:{line}: A colour is #rrggbb, not 'blue'.",
        "CommandError: 1 mistake in the desk file; nothing was changed.",
    ]
    assert refdesk("setup", "export", "-", data_dir=second).stdout == again.stdout
