"""``make test`` installs nothing, and says which suites it skipped and why (tests/services.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import services

REPO = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "tests" / "services.py"), *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_engines_are_skipped_with_the_reason_when_a_service_is_not_running() -> None:
    redis = f"redis://127.0.0.1:{_closed_port()}/0"
    database = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    env = {"REFDESK_TEST_DATABASE_URL": database, "REFDESK_TEST_REDIS_URL": redis}

    skipped = _run("engines", **env)
    summary = _run("summary", **env)

    assert skipped.returncode == 2
    assert skipped.stderr == (
        "Skipping the PostgreSQL + Redis run: "
        f"PostgreSQL is not running at REFDESK_TEST_DATABASE_URL={database}; "
        f"Redis is not running at REFDESK_TEST_REDIS_URL={redis}.\n"
    )
    assert summary.returncode == 0
    assert summary.stdout.splitlines()[0] == "make test skipped:"
    assert summary.stdout.splitlines()[-1] == (
        "  - the engine tests on PostgreSQL and Redis (-m engines): "
        f"PostgreSQL is not running at REFDESK_TEST_DATABASE_URL={database}; "
        f"Redis is not running at REFDESK_TEST_REDIS_URL={redis}"
    )


def test_engines_not_configured_are_skipped_and_fail_when_ci_requires_them() -> None:
    skipped = _run(REFDESK_TEST_DATABASE_URL="", REFDESK_TEST_REDIS_URL="")
    failed = _run(REFDESK_REQUIRE_SERVICES="1")
    summary = _run("summary", REFDESK_REQUIRE_SERVICES="1")

    reason = (
        "PostgreSQL is not configured (REFDESK_TEST_DATABASE_URL is empty); "
        "Redis is not configured (REFDESK_TEST_REDIS_URL is empty)"
    )
    assert (skipped.returncode, skipped.stderr) == (
        2,
        f"Skipping the PostgreSQL + Redis run: {reason}.\n",
    )
    assert (failed.returncode, failed.stderr) == (
        1,
        f"FAIL: {reason}, and REFDESK_REQUIRE_SERVICES=1\n",
    )
    # Required suites are not skipped: they run and fail, so the summary does not list them.
    assert "engine tests" not in summary.stdout


def test_without_chromium_the_browser_tests_are_skipped_unless_ci_requires_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # This machine has Chromium; the check is pointed at a path where there is none.
    missing = tmp_path / "chromium"
    monkeypatch.setattr(services, "CHROMIUM", missing)
    monkeypatch.delenv("REFDESK_REQUIRE_BROWSER", raising=False)
    # Whether PostgreSQL and Redis answer here is not this test's business.
    monkeypatch.setenv("REFDESK_REQUIRE_SERVICES", "1")

    assert services.browser() == 2
    assert services.summary() == 0
    assert capsys.readouterr().out == (
        "make test skipped:\n"
        f"  - the browser tests (-m browser): {missing} is missing "
        "(apt-get install chromium, or run .ci/run as root)\n"
    )

    monkeypatch.setenv("REFDESK_REQUIRE_BROWSER", "1")
    assert services.browser() == 0
    assert services.summary() == 0
    assert capsys.readouterr().out == "make test skipped no suite.\n"


def test_make_test_installs_no_system_packages_and_ci_installs_chromium() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")

    assert "apt-get install" not in makefile
    assert "chromium:" not in makefile
    assert 'echo "ci: installing Chromium' in ci
    assert "apt-get install -y -qq chromium" in ci
    assert "chromium=/usr/bin/chromium" in ci
    assert "export REFDESK_REQUIRE_SERVICES=1" in ci
    assert "export REFDESK_REQUIRE_BROWSER=1" in ci
