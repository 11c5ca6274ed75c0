"""Is PostgreSQL and Redis reachable for the engine tests? Exit 0 yes, 1 required but no, 2 skip.

``make test`` runs the engine tests a second time on PostgreSQL and Redis when both answer.
With REFDESK_REQUIRE_SERVICES=1 (CI), a service that does not answer is a failure.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def main() -> int:
    database = os.environ.get("REFDESK_TEST_DATABASE_URL", "")
    redis = os.environ.get("REFDESK_TEST_REDIS_URL", "")
    missing = [
        name
        for name, url, port in (("PostgreSQL", database, 5432), ("Redis", redis, 6379))
        if not url or not reachable(url, port)
    ]
    if not missing:
        return 0
    message = f"{' and '.join(missing)} not reachable"
    if os.environ.get("REFDESK_REQUIRE_SERVICES") == "1":
        print(f"FAIL: {message}, and REFDESK_REQUIRE_SERVICES=1", file=sys.stderr)  # noqa: T201
        return 1
    print(f"Skipping the PostgreSQL + Redis run: {message}.", file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main())
