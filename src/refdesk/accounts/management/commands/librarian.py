"""``refdesk librarian add|list|deactivate|activate``: staff accounts from the command
line."""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db.models import Field

from refdesk.accounts.actions import do_add_librarian, do_update_librarian
from refdesk.accounts.models import Librarian, Role
from refdesk.campuses.selectors import get_campus_by_slug
from refdesk.core.errors import ActionError


def _read_password(stdin: TextIO) -> str:
    # A script pipes the password in (never on the command line, where `ps` shows it);
    # a person types it twice at a prompt that does not echo.
    if not stdin.isatty():
        password = stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords do not match.")
    if not password:
        raise CommandError("The password is empty.")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
    return password


class Command(BaseCommand):
    help = "Add a librarian account, list them all, or deactivate or activate one."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{add,list,deactivate,activate}"
        )
        add = actions.add_parser(
            "add",
            help="Add a librarian; the password is read from stdin, or asked for twice.",
        )
        add.add_argument("username")
        add.add_argument("--campus", required=True, metavar="SLUG", help="Home campus.")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--display-name", default="", metavar="NAME")
        add.add_argument("--email", default="")
        actions.add_parser("list", help="List every librarian.")
        deactivate = actions.add_parser(
            "deactivate",
            help="Switch a librarian's account off, at once: their sessions end, their "
            "consoles close, their chats go back to the queues and their open tickets "
            "become unassigned.",
        )
        deactivate.add_argument("username")
        activate = actions.add_parser(
            "activate", help="Switch a librarian's account on again (they log in anew)."
        )
        activate.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self._add(options, stdin=options.get("stdin") or sys.stdin)
        elif options["action"] in ("deactivate", "activate"):
            self._set_active(options["username"], active=options["action"] == "activate")
        else:
            self._list()

    def _set_active(self, username: str, *, active: bool) -> None:
        librarian = (
            Librarian.objects.select_related("user", "home_campus")
            .filter(user__username=username)
            .first()
        )
        if librarian is None:
            raise CommandError(f"There is no librarian {username!r}.")
        try:
            changed = do_update_librarian(
                librarian,
                display_name=librarian.display_name,
                email=librarian.user.email,
                campus=librarian.home_campus,
                role=librarian.role,
                active=active,
            )
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        if not changed:
            state = "active" if active else "deactivated"
            self.stdout.write(f"{username} ({librarian.display_name}) is {state} already.")
        elif active:
            self.stdout.write(f"Activated {username} ({librarian.display_name}).")
        else:
            self.stdout.write(
                f"Deactivated {username} ({librarian.display_name}): their sessions ended, "
                "their chats went back to the queues, their open tickets are unassigned, "
                "and their open consoles close."
            )

    def _add(self, options: dict[str, Any], *, stdin: TextIO) -> None:
        username: str = options["username"]
        user_model = get_user_model()
        try:
            field = user_model._meta.get_field(user_model.USERNAME_FIELD)
            if isinstance(field, Field):  # a username is always a concrete field
                field.clean(username, None)
            if options["email"]:
                validate_email(options["email"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        campus = get_campus_by_slug(options["campus"])
        if campus is None:
            raise CommandError(f"There is no campus {options['campus']!r}.")
        # Checked before the prompt so nobody types a password for nothing; the action
        # still settles a race with another command.
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).exists():
            raise CommandError(f"The username {username!r} is taken.")
        password = _read_password(stdin)
        try:
            librarian = do_add_librarian(
                username,
                password=password,
                campus=campus,
                role=options["role"],
                display_name=options["display_name"],
                email=options["email"],
            )
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Added {librarian.get_role_display().lower()} {username} "
            f"({librarian.display_name}) at {campus.name}."
        )

    def _list(self) -> None:
        rows = [
            (lib.user.get_username(), lib.display_name, lib.home_campus.slug, lib.role)
            for lib in Librarian.objects.select_related("user", "home_campus").order_by(
                "user__username"
            )
        ]
        if not rows:
            self.stdout.write("No librarians yet. Add one with: refdesk librarian add")
            return
        header = ("USERNAME", "DISPLAY NAME", "CAMPUS", "ROLE")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
