"""``refdesk createsuperuser``: Django's command, and the new account's librarian profile.

After Django's command has made the superuser, the account gets an admin's librarian
profile (through ``do_add_profile``) so that the console opens for it at once: with the
campus of ``--campus SLUG``; else, at a terminal, the campus typed at a prompt that lists
the slugs (Enter takes the first); else (``--noinput``) the first campus, said plainly.
With no campus at all the account is left without a profile, and the command says how it
gets one later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError, CommandParser
from django.db.models.signals import post_save

from refdesk.accounts.actions import do_add_profile
from refdesk.accounts.models import Role
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_by_slug
from refdesk.core.errors import ActionError


class Command(createsuperuser.Command):
    help = (
        "Create a superuser with an admin's librarian profile: --campus SLUG, or the campus "
        "chosen at the prompt, or the first campus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--campus",
            metavar="SLUG",
            help="The new account's home campus (default: asked at a terminal, else the first).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str | None = options.get("campus")
        chosen = None
        if slug is not None:
            # Checked before anything is asked or made.
            chosen = get_campus_by_slug(slug)
            if chosen is None:
                raise CommandError(f"There is no campus {slug!r}.")
        with self._capture_created_users() as created:
            super().handle(*args, **options)
        if not created:
            return  # Django made no account (not at a terminal, or cancelled)
        user = created[-1]
        campuses = list(Campus.objects.order_by("position", "name"))
        if not campuses:
            self.stdout.write(
                f"{user.get_username()} has no librarian profile yet, because there is no "
                "campus. Add a campus in the admin (/admin/); then opening the console "
                "(/console/) as this account offers one."
            )
            return
        if chosen is None:
            chosen = self._ask_campus(campuses) if options["interactive"] else campuses[0]
        try:
            librarian = do_add_profile(user, campus=chosen, role=Role.ADMIN)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"{user.get_username()} gets an admin's librarian profile, as "
                f"{librarian.display_name}, with {chosen.name} ({chosen.slug}) as home campus; "
                "change it in the admin."
            )

    @contextlib.contextmanager
    def _capture_created_users(self) -> Iterator[list[AbstractBaseUser]]:
        """The accounts that Django's command creates while the block runs."""
        created: list[AbstractBaseUser] = []

        def remember(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
            if kwargs.get("created"):
                created.append(instance)

        post_save.connect(remember, sender=self.UserModel, weak=False)
        try:
            yield created
        finally:
            post_save.disconnect(remember, sender=self.UserModel)

    def _ask_campus(self, campuses: list[Campus]) -> Campus:
        """The home campus typed at the prompt; Enter takes the first."""
        by_slug = {campus.slug: campus for campus in campuses}
        self.stdout.write("Campuses: " + ", ".join(by_slug))
        while True:
            answer = input(f"Home campus (leave blank to use '{campuses[0].slug}'): ").strip()
            if not answer:
                return campuses[0]
            if answer in by_slug:
                return by_slug[answer]
            self.stderr.write(f"Error: there is no campus {answer!r}; type one of the slugs.")
