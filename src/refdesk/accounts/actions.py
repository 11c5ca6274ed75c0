"""The only writer of librarians, console connections and log-in failure counts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from refdesk.accounts import throttle
from refdesk.accounts.events import PresenceEvent
from refdesk.accounts.models import ConsoleConnection, Librarian, Role
from refdesk.accounts.selectors import presence_of
from refdesk.campuses.models import Campus
from refdesk.core.actions import do_clear_rate_key, do_hit_rate_limit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, send_event_on_commit


def do_add_librarian(
    username: str,
    *,
    password: str,
    campus: Campus,
    role: str = Role.LIBRARIAN,
    display_name: str = "",
    email: str = "",
) -> Librarian:
    """Create a staff user with a librarian profile.

    Raises ``ActionError("invalid")`` for an unknown role or a username already taken.
    """
    if role not in Role.values:
        raise ActionError("invalid", f"Role must be one of {', '.join(Role.values)}.")
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=username,
                password=password,
                email=email,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            return Librarian.objects.create(
                user=user,
                display_name=display_name or username.capitalize(),
                home_campus=campus,
                role=role,
            )
    except IntegrityError as exc:
        raise ActionError("invalid", f"The username {username!r} is taken.") from exc


def _broadcast_presence(librarian: Librarian, *, online: bool) -> None:
    send_event_on_commit(
        [STAFF_GROUP], PresenceEvent(type="presence", **presence_of(librarian, online=online))
    )


def _has_fresh_connection(librarian_id: int, *, now: dt.datetime) -> bool:
    fresh = now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    return ConsoleConnection.objects.filter(librarian_id=librarian_id, seen_at__gte=fresh).exists()


def do_open_console(librarian: Librarian, *, channel_name: str, process: str) -> None:
    """Record an open console socket; broadcasts ``presence`` when the librarian comes online."""
    now = timezone.now()
    with transaction.atomic():
        was_online = _has_fresh_connection(librarian.pk, now=now)
        # One statement (an upsert): a console connects on every reload and reconnect.
        ConsoleConnection.objects.bulk_create(
            [
                ConsoleConnection(
                    channel_name=channel_name,
                    librarian=librarian,
                    process=process,
                    connected_at=now,
                    seen_at=now,
                )
            ],
            update_conflicts=True,
            unique_fields=["channel_name"],
            update_fields=["librarian", "process", "connected_at", "seen_at"],
        )
        if not was_online:
            _broadcast_presence(librarian, online=True)


def do_close_console(librarian: Librarian, *, channel_name: str) -> None:
    """Forget a closed console socket; broadcasts ``presence`` when it was the last one."""
    now = timezone.now()
    with transaction.atomic():
        deleted, _ = ConsoleConnection.objects.filter(channel_name=channel_name).delete()
        if deleted and not _has_fresh_connection(librarian.pk, now=now):
            _broadcast_presence(librarian, online=False)


def do_touch_connections(process: str) -> int:
    """Mark every socket this process holds as alive; returns how many."""
    return ConsoleConnection.objects.filter(process=process).update(seen_at=timezone.now())


def do_sweep_stale_connections() -> int:
    """Remove connections of processes that stopped touching them (a crash, a kill).

    Broadcasts ``presence`` offline for each librarian left with none. Idempotent: any
    number of processes may sweep at once.
    """
    now = timezone.now()
    fresh = now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    with transaction.atomic():
        stale = list(
            ConsoleConnection.objects.filter(seen_at__lt=fresh).values_list("pk", "librarian_id")
        )
        if not stale:
            return 0
        ConsoleConnection.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        for librarian in Librarian.objects.select_related("home_campus").filter(
            pk__in={lib_id for _, lib_id in stale}
        ):
            if not _has_fresh_connection(librarian.pk, now=now):
                _broadcast_presence(librarian, online=False)
    return len(stale)


def do_record_login_failure(username: str, *, address: str) -> None:
    """Count one failed log-in as ``username`` from ``address`` (``""`` for none) under
    the pair, the account and the address (:mod:`refdesk.accounts.throttle`), in the
    current one-minute bucket of each. Stores salted hashes only."""
    with transaction.atomic():
        for key in throttle.login_keys(username, address).counted():
            # Counting only: the throttle reads the counts, do_hit_rate_limit refuses nothing.
            do_hit_rate_limit(key, limit=2**31, window_seconds=throttle.BUCKET_SECONDS)


def do_record_login_success(username: str, *, address: str) -> None:
    """Forget the failures of ``username`` from ``address``; the account's and the
    address's counts stay, so an attack on either goes on being seen."""
    do_clear_rate_key(throttle.login_keys(username, address).pair)
