"""``refdesk setup export|import FILE``: the desk's campuses, hours and librarians as a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refdesk.core.errors import ActionError
from refdesk.setup.actions import do_import_desk
from refdesk.setup.deskfile import DeskFileError, export_desk, read_desk


class Command(BaseCommand):
    help = (
        "Export the desk's campuses, weekly hours and librarians (never passwords) to a TOML "
        "file, or import one: the whole file is checked first and nothing changes unless "
        "all of it is right. Importing the same file twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        export = commands.add_parser("export", help="write the desk to FILE (- for stdout)")
        export.add_argument("file")
        load = commands.add_parser("import", help="make the desk what FILE says")
        load.add_argument("file")
        load.add_argument("--check", action="store_true", help="check the file and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["file"])
        else:
            self._import(options["file"], check_only=options["check"])

    def _export(self, name: str) -> None:
        text = export_desk()
        if name == "-":
            self.stdout.write(text, ending="")
            return
        Path(name).write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote the desk to {name}.")

    def _import(self, name: str, *, check_only: bool) -> None:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {name}: {exc}") from exc
        try:
            desk = read_desk(text)
        except DeskFileError as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{name}:{line}: {message}")
            raise CommandError(f"{exc}; nothing was changed.") from exc
        if check_only:
            self.stdout.write(f"{name} is a valid desk file; nothing was changed.")
            return
        try:
            report = do_import_desk(desk)
        except ActionError as exc:
            raise CommandError(f"{exc.message} Nothing was changed.") from exc
        self.stdout.write(f"Campuses: {', '.join(report.campuses) or 'none'}.")
        for label, names in (
            ("Added librarians", report.added),
            ("Changed", report.changed),
            ("Left as they were", report.unchanged),
            ("Added snippets", report.snippets_added),
        ):
            if names:
                self.stdout.write(f"{label}: {', '.join(names)}.")
        if report.added:
            self.stdout.write(
                "New librarians have no password yet: set one with "
                "`refdesk changepassword USERNAME`."
            )
        self.stdout.write(self.style.SUCCESS(f"The desk is as {name} says."))
