"""The only writer of librarians, console connections and log-in failure counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from refdesk.accounts import throttle
from refdesk.accounts.events import (
    ACCOUNT_DEACTIVATED,
    AccountDeactivated,
    DeskStatus,
    PresenceEntry,
    PresenceEvent,
)
from refdesk.accounts.models import ConsoleConnection, Librarian, Role, Status
from refdesk.accounts.selectors import (
    is_anyone_online,
    list_session_keys_of_user,
    presence_of,
)
from refdesk.campuses.models import Campus
from refdesk.core.actions import do_clear_rate_key, do_hit_rate_limit, do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import (
    PATRONS_GROUP,
    STAFF_GROUP,
    librarian_group,
    send_event_on_commit,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def staff_flags(role: str) -> dict[str, bool]:
    """The Django account flags a role carries: supervisors and admins reach the admin site
    (``is_staff``), where a supervisor sees only what the role allows; admins may change
    everything there (``is_superuser``)."""
    return {
        "is_staff": role in (Role.SUPERVISOR, Role.ADMIN),
        "is_superuser": role == Role.ADMIN,
    }


def _audit(
    actor: AbstractBaseUser | None, action: str, librarian: Librarian, changes: dict[str, Any]
) -> None:
    do_record_audit(
        actor,
        action,
        target_type="librarian",
        target_id=librarian.pk,
        target_repr=f"{librarian.display_name} ({librarian.user.get_username()})",
        changes=changes,
    )


def do_add_librarian(
    username: str,
    *,
    password: str | None,
    campus: Campus,
    role: str = Role.LIBRARIAN,
    display_name: str = "",
    email: str = "",
    active: bool = True,
    actor: AbstractBaseUser | None = None,
) -> Librarian:
    """Create a staff user with a librarian profile, audited.

    ``password=None`` gives an account that cannot log in until a password is set (with
    ``refdesk changepassword``). Raises ``ActionError("invalid")`` for an unknown role or a
    username already taken.
    """
    if role not in Role.values:
        raise ActionError("invalid", f"Role must be one of {', '.join(Role.values)}.", field="role")
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=username,
                password=password,
                email=email,
                is_active=active,
                **staff_flags(role),
            )
            librarian = Librarian.objects.create(
                user=user,
                display_name=display_name or username.capitalize(),
                home_campus=campus,
                role=role,
            )
            _audit(
                actor,
                "librarian.add",
                librarian,
                {
                    "username": username,
                    "display_name": librarian.display_name,
                    "email": email,
                    "home_campus": campus.slug,
                    "role": role,
                    "active": active,
                },
            )
            return librarian
    except IntegrityError as exc:
        raise ActionError(
            "invalid", f"The username {username!r} is taken.", field="username"
        ) from exc


def do_add_profile(
    user: AbstractBaseUser,
    *,
    campus: Campus,
    role: str,
    display_name: str = "",
    actor: AbstractBaseUser | None = None,
) -> Librarian:
    """Give an existing account (one made by ``createsuperuser``, say) its librarian
    profile; an account that is a superuser becomes an admin whatever ``role`` says, so
    its powers and its role agree. Raises ``ActionError("invalid")`` when it has one."""
    if role not in Role.values:
        raise ActionError("invalid", f"Role must be one of {', '.join(Role.values)}.", field="role")
    user_model = get_user_model()
    if getattr(user, "is_superuser", False):
        role = Role.ADMIN
    username = user.get_username()
    try:
        with transaction.atomic():
            librarian = Librarian.objects.create(
                user_id=user.pk,
                display_name=display_name or username.capitalize(),
                home_campus=campus,
                role=role,
            )
            user_model.objects.filter(pk=user.pk).update(**staff_flags(role))
            _audit(
                actor,
                "librarian.add",
                librarian,
                {"username": username, "home_campus": campus.slug, "role": role},
            )
            return librarian
    except IntegrityError as exc:
        raise ActionError("invalid", f"{username} already has a librarian profile.") from exc


def check_keeps_an_admin(librarian: Librarian, *, role: str, active: bool) -> None:
    """Raise ``ActionError("invalid")`` when making ``librarian`` this ``role`` and
    ``active`` would leave no active admin: nobody could then reach the admin to undo it.
    Reads the librarian's role and account as they are stored."""
    current = Librarian.objects.select_related("user").get(pk=librarian.pk)
    was_admin = current.role == Role.ADMIN and current.user.is_active
    stays_admin = role == Role.ADMIN and active
    if not was_admin or stays_admin:
        return
    others = (
        Librarian.objects.filter(role=Role.ADMIN, user__is_active=True)
        .exclude(pk=librarian.pk)
        .exists()
    )
    if not others:
        raise ActionError(
            "invalid",
            f"{current.display_name} is the last active admin; make another librarian an "
            "admin first.",
            field="role" if role != Role.ADMIN else "active",
        )


def do_set_librarian_password(
    librarian: Librarian, *, password: str | None, actor: AbstractBaseUser | None = None
) -> None:
    """Set the librarian's password (``None``: none, so they cannot log in with one), and
    audit that it changed, never what it is. Their sessions elsewhere end at their next
    request, as Django ends sessions after any password change. The caller has checked the
    password against the password validators."""
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().get(pk=librarian.user_id)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user_model.objects.filter(pk=user.pk).update(password=user.password)
        _audit(
            actor,
            "librarian.password",
            librarian,
            {"password": "set" if password is not None else "removed"},
        )


def do_update_librarian(
    librarian: Librarian,
    *,
    display_name: str,
    email: str,
    campus: Campus,
    role: str,
    active: bool,
    actor: AbstractBaseUser | None = None,
) -> bool:
    """Set the librarian's profile and account to these values; returns whether anything
    changed, and audits what did. The password is left alone.

    Switching ``active`` off takes effect at once, in the same transaction
    (:func:`_take_effect_of_deactivation`): the account's sessions end, its consoles are
    closed, it goes offline, and the registered deactivation steps run (its chats go back
    to their queues, the chats it joined are left, its open tickets become unassigned).
    Switching it on again does nothing more than the change and its audit entry. A
    supervisor or admin who becomes a librarian runs the registered demotion steps in the
    same transaction (the chats they joined are left, "<name> left").

    Raises ``ActionError("invalid")`` for an unknown role or an empty display name, and
    ``ActionError("invalid")`` when it would leave the desk without an active admin.
    """
    if role not in Role.values:
        raise ActionError("invalid", f"Role must be one of {', '.join(Role.values)}.", field="role")
    if not display_name.strip():
        raise ActionError("invalid", "A librarian needs a display name.", field="display_name")
    user_model = get_user_model()
    with transaction.atomic():
        # A deactivation takes the presence lock first, as every presence change does (the
        # grace-period job takes it, then writes librarian rows); it reads, before the
        # change, whether the desk had operators.
        desk = _DeskWatch() if not active else None
        profile = (
            Librarian.objects.select_related("user", "home_campus")
            .select_for_update()
            .get(pk=librarian.pk)
        )
        check_keeps_an_admin(profile, role=role, active=active)
        before = {
            "display_name": profile.display_name,
            "email": profile.user.email,
            "home_campus": profile.home_campus.slug,
            "role": profile.role,
            "active": profile.user.is_active,
        }
        after = {
            "display_name": display_name,
            "email": email,
            "home_campus": campus.slug,
            "role": role,
            "active": active,
        }
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        if not changes:
            return False
        Librarian.objects.filter(pk=librarian.pk).update(
            display_name=display_name, home_campus=campus, role=role
        )
        user_model.objects.filter(pk=librarian.user_id).update(
            email=email, is_active=active, **staff_flags(role)
        )
        librarian.display_name, librarian.home_campus, librarian.role = display_name, campus, role
        _audit(actor, "librarian.change", profile, changes)
        if desk is not None and before["active"]:
            _take_effect_of_deactivation(profile, desk)
        elif profile.is_supervisor and role not in SUPERVISING_ROLES:
            # Supervision ends with the role, in the same transaction: a joined chat is
            # left at once rather than when the former supervisor thinks of it.
            for demotion_step in _demotion_steps:
                demotion_step(profile.pk)
    return True


# The roles that supervise (watch, note, join).
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})

# What the apps above do when an active supervisor or admin becomes a librarian (the chats
# app ends the chats they joined), registered at start-up; each step runs in the change's
# transaction, after the role is stored.
DemotionStep = Callable[[int], object]
_demotion_steps: list[DemotionStep] = []


def register_demotion_step(step: DemotionStep) -> None:
    """Run ``step(librarian_id)`` whenever an active supervisor or admin becomes a
    librarian."""
    if step not in _demotion_steps:
        _demotion_steps.append(step)


# What the apps above do when an account is deactivated (the chats app gives its chats
# back to the queues, the tickets app unassigns its tickets), registered at start-up; each
# step runs in the deactivation's transaction, after the account is marked inactive.
DeactivationStep = Callable[[int], object]
_deactivation_steps: list[DeactivationStep] = []


def register_deactivation_step(step: DeactivationStep) -> None:
    """Run ``step(librarian_id)`` whenever a librarian's account is deactivated."""
    if step not in _deactivation_steps:
        _deactivation_steps.append(step)


def _take_effect_of_deactivation(librarian: Librarian, desk: _DeskWatch) -> None:
    """The account of ``librarian`` was just marked inactive (in the caller's transaction):
    end its sessions, run the registered deactivation steps, take it offline at once
    (its console connections forgotten, no grace period; ``presence`` to every console
    when it was at the desk, ``desk.status`` to every patron when it was the last
    operator), and tell its consoles to close (``account.deactivated`` to its own group,
    which the console turns into ``error unauthenticated`` and the close 4401)."""
    now = timezone.now()
    Session.objects.filter(session_key__in=list_session_keys_of_user(librarian.user_id)).delete()
    was_present = _is_present(librarian.pk, now=now)
    # Offline first, so that what the steps broadcast (presence with a chat fewer) says so.
    ConsoleConnection.objects.filter(librarian_id=librarian.pk).delete()
    if was_present:
        Librarian.objects.filter(pk=librarian.pk).update(gone_since=None, status_changed_at=now)
    for step in _deactivation_steps:
        step(librarian.pk)
    if was_present:
        do_broadcast_presence(librarian.pk)
    desk.settle()
    send_event_on_commit(
        [librarian_group(librarian.pk)],
        AccountDeactivated(type=ACCOUNT_DEACTIVATED, librarian_id=librarian.pk),
    )


# ---------------------------------------------------------------------------
# Presence
# ---------------------------------------------------------------------------

# The key of PostgreSQL's transaction lock that serialises presence changes (SQLite's
# writer takes its one lock at BEGIN anyway): whether a change leaves the desk without
# operators depends on every other librarian's presence, so two librarians leaving at once
# must not each see the other still there.
_PRESENCE_LOCK = 0x7EF0_0001


def _lock_presence() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PRESENCE_LOCK])


def do_broadcast_presence(librarian_id: int) -> None:
    """Broadcast the librarian's ``presence`` as it is at the commit of the current
    transaction's writes so far: its status, and how many chats they hold (the chat actions
    call this after a claim, an end, a transfer)."""
    send_event_on_commit([STAFF_GROUP], PresenceEvent(type="presence", **presence_of(librarian_id)))


class _DeskWatch:
    """Whether the desk had operators before a presence change: :meth:`settle` tells every
    patron ``desk.status`` when the change emptied the desk or staffed it again. Taken
    under the presence lock."""

    def __init__(self) -> None:
        _lock_presence()
        self.before = is_anyone_online()

    def settle(self) -> None:
        after = is_anyone_online()
        if after != self.before:
            send_event_on_commit([PATRONS_GROUP], DeskStatus(type="desk.status", online=after))


def _has_fresh_connection(librarian_id: int, *, now: dt.datetime) -> bool:
    fresh = now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    return ConsoleConnection.objects.filter(librarian_id=librarian_id, seen_at__gte=fresh).exists()


def _is_present(librarian_id: int, *, now: dt.datetime) -> bool:
    """At the desk: a fresh console, or within the grace period after the last one."""
    return (
        _has_fresh_connection(librarian_id, now=now)
        or Librarian.objects.filter(pk=librarian_id, gone_since__isnull=False).exists()
    )


def do_open_console(librarian: Librarian, *, channel_name: str, process: str) -> None:
    """Record an open console socket; it ends the librarian's grace period if one runs.

    A librarian who was offline comes back ``online`` (whatever they chose before they
    left), which broadcasts ``presence`` and, when they are the first operator, tells
    every patron ``desk.status {online: true}``. A reload within the grace period changes
    nothing anyone sees.
    """
    now = timezone.now()
    with transaction.atomic():
        desk = _DeskWatch()
        was_present = _is_present(librarian.pk, now=now)
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
        if was_present:
            Librarian.objects.filter(pk=librarian.pk, gone_since__isnull=False).update(
                gone_since=None
            )
            return
        Librarian.objects.filter(pk=librarian.pk).update(
            status=Status.ONLINE, status_changed_at=now, gone_since=None
        )
        do_broadcast_presence(librarian.pk)
        desk.settle()


def _start_grace(librarian_ids: set[int], *, now: dt.datetime) -> None:
    """The librarians of ``librarian_ids`` left with no fresh console start their grace
    period now (unless it runs already)."""
    fresh = now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    Librarian.objects.filter(pk__in=librarian_ids, gone_since__isnull=True).exclude(
        connections__seen_at__gte=fresh
    ).update(gone_since=now)


def do_close_console(librarian: Librarian, *, channel_name: str) -> None:
    """Forget a closed console socket. When it was the librarian's last, their grace period
    starts (``gone_since``): they stay as they were until :func:`do_end_grace_periods`
    finds it over, so a reload or a short network drop changes nothing anyone sees."""
    now = timezone.now()
    with transaction.atomic():
        deleted, _ = ConsoleConnection.objects.filter(channel_name=channel_name).delete()
        if deleted:
            _start_grace({librarian.pk}, now=now)


def do_touch_connections(process: str) -> int:
    """Mark every socket this process holds as alive; returns how many."""
    return ConsoleConnection.objects.filter(process=process).update(seen_at=timezone.now())


def do_sweep_stale_connections() -> int:
    """Remove connections of processes that stopped touching them (a crash, a kill); each
    librarian left with none starts their grace period, as when they close the console.
    Idempotent: any number of processes may sweep at once."""
    now = timezone.now()
    fresh = now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    with transaction.atomic():
        stale = list(
            ConsoleConnection.objects.filter(seen_at__lt=fresh).values_list("pk", "librarian_id")
        )
        if not stale:
            return 0
        ConsoleConnection.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        _start_grace({lib_id for _, lib_id in stale}, now=now)
    return len(stale)


# What the apps above do when a librarian goes offline (the chats app gives their chats
# back to the queues), registered at start-up; each step runs in the transaction that
# takes the librarian offline, so a departure and its consequences commit together, once.
DepartureStep = Callable[[int], object]
_departure_steps: list[DepartureStep] = []


def register_departure_step(step: DepartureStep) -> None:
    """Run ``step(librarian_id)`` whenever a librarian's grace period ends."""
    if step not in _departure_steps:
        _departure_steps.append(step)


def do_end_grace_periods(*, now: dt.datetime | None = None) -> list[int]:
    """Librarians whose last console went ``OFFLINE_GRACE_SECONDS`` ago, and who opened
    none since, are offline: returns their ids.

    For each, one conditional update (``… WHERE gone_since <= cutoff AND no fresh console``)
    decides, so that any number of processes running this at once, or a console opening
    meanwhile, give one result. For each winner the registered departure steps run (their
    chats go back to the queues) and ``presence`` (offline) is broadcast; when the last
    operator went, every patron gets ``desk.status {online: false}``.
    """
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(seconds=settings.REFDESK["OFFLINE_GRACE_SECONDS"])
    fresh = moment - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])
    due = list(Librarian.objects.filter(gone_since__lte=cutoff).values_list("pk", flat=True))
    if not due:
        return []
    gone: list[int] = []
    with transaction.atomic():
        desk = _DeskWatch()
        for librarian_id in due:
            changed = (
                Librarian.objects.filter(pk=librarian_id, gone_since__lte=cutoff)
                .exclude(connections__seen_at__gte=fresh)
                .update(gone_since=None, status_changed_at=moment)
            )
            if changed:
                gone.append(librarian_id)
                for step in _departure_steps:
                    step(librarian_id)
                do_broadcast_presence(librarian_id)
        desk.settle()
    return gone


def check_set_presence(librarian: Librarian, *, status: object) -> PresenceEntry:
    """The librarian's own choice (``presence.set``): ``online`` or ``away``; anything else
    is ``ActionError("invalid", field="status")``."""
    if status not in (Status.ONLINE, Status.AWAY):
        raise ActionError("invalid", "status must be online or away.", field="status")
    return do_set_presence(librarian, status=Status(str(status)))


def do_set_presence(librarian: Librarian, *, status: Status) -> PresenceEntry:
    """Store the librarian's status. A change (a conditional update: ``… WHERE status <>
    status``) broadcasts ``presence`` to the staff group and, when it left the desk
    without operators or staffed it again, ``desk.status`` to every patron; setting the
    status they have already sends nothing. Returns their presence."""
    now = timezone.now()
    with transaction.atomic():
        desk = _DeskWatch()
        changed = (
            Librarian.objects.filter(pk=librarian.pk)
            .exclude(status=status)
            .update(status=status, status_changed_at=now)
        )
        entry = presence_of(librarian.pk)
        if changed:
            send_event_on_commit([STAFF_GROUP], PresenceEvent(type="presence", **entry))
            desk.settle()
    return entry


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
