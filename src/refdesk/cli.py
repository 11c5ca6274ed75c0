"""The ``refdesk`` command: serve, migrate, demo data, librarians, and Django's commands."""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import resource
import sys

import django
import uvicorn
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, execute_from_command_line
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from uvicorn.config import LOGGING_CONFIG, WS_PROTOCOLS

from refdesk.core.logs import server_log_config
from refdesk.core.server import HeaderDeadlineProtocol

USAGE = """\
usage: refdesk COMMAND [ARGS...]

commands:
  serve [--host H] [--port P]   serve the desk (pages, API, websockets, static files)
  migrate                       create or update the database tables
  demo [--force] [--no-tickets] load the demo desk: three campuses, five librarians and
                                a few tickets (outside debug only with --force)
  librarian add|list|deactivate|activate
                                add a librarian account, list them all, or switch one
                                off (at once: sessions, consoles, chats, tickets) or on
  createsuperuser [--campus SLUG]
                                create a superuser with an admin's librarian profile
  purge                         apply the retention period now (the server also does,
                                hourly)
  setup export|import FILE      the desk's campuses, hours and librarians as a TOML file

Any other command goes to Django (check, shell, changepassword, ...).
Run `refdesk COMMAND --help` for a command's options. Settings come from REFDESK_*
environment variables; REFDESK_DEBUG=1 gives safe defaults for a laptop.
"""


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _serve(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="refdesk serve", description="Serve the desk.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args(args)

    def available(module: str) -> bool:
        return importlib.util.find_spec(module) is not None

    # Reads the settings now, so a missing secret is one clear line, not a traceback.
    django.setup()
    _raise_open_file_limit()
    _tune_garbage_collector()
    _share_the_interpreter_lock()

    uvicorn.run(
        "refdesk.asgi:application",
        host=options.host,
        port=options.port,
        lifespan="on",
        ws="websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "websockets",
        ws_max_size=1024 * 1024,
        ws_per_message_deflate=False,
        loop="uvloop" if available("uvloop") else "auto",
        http=HeaderDeadlineProtocol,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("REFDESK_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        log_level=os.environ.get("REFDESK_LOG_LEVEL", "info").strip().lower() or "info",
        # No log line names a patron's address or token (see core/logs.py).
        log_config=server_log_config(LOGGING_CONFIG),
        # Access logs would keep every patron's address in plain text; off unless asked for.
        access_log=os.environ.get("REFDESK_ACCESS_LOG", "").strip().lower() in {"1", "true", "on"},
    )
    return 0


def _tune_garbage_collector() -> None:
    """Collect cycles less often: thousands of long-lived sockets make every full
    collection long, and the default thresholds run one every few hundred messages."""
    threshold = int(os.environ.get("REFDESK_GC_THRESHOLD", "50000") or 0)
    if threshold > 0:
        gc.set_threshold(threshold, 20, 50)
    # What Django and the app imported at start-up lives for the life of the process.
    gc.freeze()


def _share_the_interpreter_lock() -> None:
    """Hand the interpreter lock over sooner (0.5 ms instead of 5).

    The database thread lets go of the lock for each statement and must get it back from
    the event loop to go on; with the default interval a busy loop kept a batch of
    messages waiting several milliseconds per statement.
    """
    sys.setswitchinterval(0.0005)


def _raise_open_file_limit() -> None:
    """Each socket is a file descriptor: allow as many as the system's hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _migrate(args: list[str]) -> int:
    if args:
        execute_from_command_line(["refdesk", "migrate", *args])
        return 0
    django.setup()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    count = len(pending)
    print(
        f"Applied {count} migration{'' if count == 1 else 's'}."
        if count
        else "No migrations to apply."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one ``refdesk`` command; returns the process exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refdesk.settings")
    if not args or args in (["-h"], ["--help"], ["help"]):
        print(USAGE, end="", file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "serve":
            return _serve(rest)
        if command == "migrate":
            return _migrate(rest)
        execute_from_command_line(["refdesk", command, *rest])
    except SystemExit as exc:
        return _exit_code(exc)
    except ImproperlyConfigured as exc:
        print(f"refdesk: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
