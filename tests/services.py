"""Can the suites that need more than Python run here? Exit 0 yes, 1 required but no, 2 skip.

``python tests/services.py`` (or ``engines``): are PostgreSQL and Redis reachable for the
engine tests? ``make test`` runs them a second time on PostgreSQL and Redis when both
answer. With REFDESK_REQUIRE_SERVICES=1 (CI), a service that does not answer is a failure.

``python tests/services.py browser``: is Chromium there for the browser tests? Exit 0 also
when it is missing but REFDESK_REQUIRE_BROWSER=1 (CI), so that the browser tests run and
fail, saying why.

``python tests/services.py summary``: one line per suite ``make test`` skipped, and why.

Nothing here installs anything: ``.ci/run`` installs Chromium on a CI machine.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = Path("/usr/bin/chromium")


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def engines_missing() -> str | None:
    """Why the PostgreSQL + Redis run cannot happen here, or None."""
    problems = []
    for name, variable, port in (
        ("PostgreSQL", "REFDESK_TEST_DATABASE_URL", 5432),
        ("Redis", "REFDESK_TEST_REDIS_URL", 6379),
    ):
        url = os.environ.get(variable, "")
        if not url:
            problems.append(f"{name} is not configured ({variable} is empty)")
        elif not reachable(url, port):
            problems.append(f"{name} is not running at {variable}={url}")
    return "; ".join(problems) or None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None (as tests/browser/support.py says)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium, or run .ci/run as root)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def _required(variable: str) -> bool:
    return os.environ.get(variable) == "1"


def engines() -> int:
    reason = engines_missing()
    if reason is None:
        return 0
    if _required("REFDESK_REQUIRE_SERVICES"):
        print(f"FAIL: {reason}, and REFDESK_REQUIRE_SERVICES=1", file=sys.stderr)  # noqa: T201
        return 1
    print(f"Skipping the PostgreSQL + Redis run: {reason}.", file=sys.stderr)  # noqa: T201
    return 2


def browser() -> int:
    if browser_missing() is None or _required("REFDESK_REQUIRE_BROWSER"):
        return 0
    return 2


def summary() -> int:
    skipped = []
    reason = browser_missing()
    if reason is not None and not _required("REFDESK_REQUIRE_BROWSER"):
        skipped.append(f"the browser tests (-m browser): {reason}")
    reason = engines_missing()
    if reason is not None and not _required("REFDESK_REQUIRE_SERVICES"):
        skipped.append(f"the engine tests on PostgreSQL and Redis (-m engines): {reason}")
    if not skipped:
        print("make test skipped no suite.")  # noqa: T201
        return 0
    print("make test skipped:")  # noqa: T201
    for line in skipped:
        print(f"  - {line}")  # noqa: T201
    return 0


def main(argv: list[str]) -> int:
    checks = {"engines": engines, "browser": browser, "summary": summary}
    name = argv[0] if argv else "engines"
    if name not in checks or len(argv) > 1:
        print(f"usage: {sys.argv[0]} [{'|'.join(checks)}]", file=sys.stderr)  # noqa: T201
        return 1
    return checks[name]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
