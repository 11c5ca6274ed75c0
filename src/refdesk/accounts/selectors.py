"""Reads about librarians, who is online, and whether a log-in must wait."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from refdesk.accounts import throttle
from refdesk.accounts.events import PresenceEntry, PresenceStatus
from refdesk.accounts.models import ConsoleConnection, Librarian, Role, Status
from refdesk.core.rows import load_related
from refdesk.core.selectors import get_recent_counts


def _fresh_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])


def get_librarian_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Librarian | None:
    """The active librarian profile of a logged-in user, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Librarian.objects.select_related("home_campus", "user").filter(user_id=user.pk).first()


def _fresh_connection() -> Exists:
    """Whether the librarian of the outer row has a console connection its process still
    touches."""
    return Exists(
        ConsoleConnection.objects.filter(librarian_id=OuterRef("pk"), seen_at__gte=_fresh_since())
    )


def _present() -> Q:
    """Librarians who count as at the desk: a fresh console connection, or their last one
    went less than the offline grace period ago (``gone_since`` is set; the grace job clears
    it when the period is over, and they are offline from then)."""
    return Q(_fresh_connection()) | Q(gone_since__isnull=False)


def _operators() -> QuerySet[Librarian]:
    """Operators: librarians at the desk whose status is online (away ones are not)."""
    return Librarian.objects.filter(_present(), status=Status.ONLINE, user__is_active=True)


def list_online_librarian_ids() -> set[int]:
    """Operators: librarians at the desk (a console open, or within the grace period after
    the last one closed) whose status is ``online``."""
    return set(_operators().values_list("pk", flat=True))


def is_operator(librarian_id: int) -> bool:
    """Whether a librarian can take a chat offered now: online (not away) with a fresh
    console (one in the grace period after their last console is not)."""
    return Librarian.objects.filter(
        _fresh_connection(), pk=librarian_id, status=Status.ONLINE, user__is_active=True
    ).exists()


def is_anyone_online() -> bool:
    """Whether any operator is online: patrons may start a chat. Everyone away counts as
    nobody."""
    return _operators().exists()


def count_operators() -> int:
    """How many operators are online."""
    return _operators().count()


def count_supervisors_at_desk() -> int:
    """How many supervisors and admins have a fresh console open, online or away: those
    whose consoles a call for a supervisor reaches."""
    return Librarian.objects.filter(
        _fresh_connection(), role__in=(Role.SUPERVISOR, Role.ADMIN), user__is_active=True
    ).count()


def count_online_by_campus() -> dict[int, int]:
    """How many operators are online per home campus id."""
    counts: dict[int, int] = {}
    for campus_id in _operators().values_list("home_campus_id", flat=True):
        counts[campus_id] = counts.get(campus_id, 0) + 1
    return counts


def _presence_rows(librarians: QuerySet[Librarian]) -> list[PresenceEntry]:
    # Plain rows, not model instances: every snapshot lists every librarian.
    rows = librarians.annotate(
        connected=_fresh_connection(),
        active_chats=Count("chats", filter=Q(chats__state="active")),
    ).values_list(
        "pk",
        "display_name",
        "home_campus__slug",
        "status",
        "connected",
        "gone_since",
        "active_chats",
    )
    return [
        PresenceEntry(
            librarian_id=pk,
            display_name=name,
            campus=campus,
            status=cast(PresenceStatus, status) if connected or gone is not None else "offline",
            active_chats=active,
        )
        for pk, name, campus, status, connected, gone, active in rows
    ]


def presence_of(librarian_id: int) -> PresenceEntry:
    """The presence of one librarian as the database has it now (in the caller's
    transaction): one query."""
    (entry,) = _presence_rows(Librarian.objects.filter(pk=librarian_id))
    return entry


def list_presence() -> list[PresenceEntry]:
    """Presence of every active librarian account, for the console snapshot: one query."""
    return _presence_rows(Librarian.objects.filter(user__is_active=True).order_by("display_name"))


def get_live_librarians(sessions: dict[str, int]) -> dict[str, Librarian]:
    """Of ``{session key: librarian id}``, each key whose session still belongs to that
    librarian (not expired, not logged out, not invalidated by a password change, the
    account active), with the librarian as the database has them now (role included).

    The session test is :func:`get_live_names`'s; one more query loads the librarians.
    """
    live = get_live_names(sessions)
    if not live:
        return {}
    found = {lib.pk: lib for lib in _load_librarians(sorted({sessions[key] for key in live}))}
    return {key: found[sessions[key]] for key in live if sessions[key] in found}


def _load_librarians(ids: list[int]) -> list[Librarian]:
    """Librarians by id with their user and home campus, as ``select_related`` loads them,
    from one prepared statement (this runs for every frame a console sends)."""
    where = "t.id IN (" + ", ".join(["%s"] * len(ids)) + ")"
    return load_related(Librarian, ("user", "home_campus"), where, ids)


# Decoded session data and session-auth hashes, by their inputs: the same session row or
# password, under the same secret keys, always gives the same result, so a console's
# frames need not repeat the work. A rotated key (or a retired fallback) changes the keys.
_decoded_sessions: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}
_auth_hashes: dict[tuple[str, str, tuple[str, ...]], tuple[str, ...]] = {}
_CACHE_LIMIT = 20_000


def _under_keys(value: str) -> tuple[str, str, tuple[str, ...]]:
    return (value, str(settings.SECRET_KEY), tuple(map(str, settings.SECRET_KEY_FALLBACKS)))


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def get_live_names(sessions: dict[str, int]) -> dict[str, str]:
    """Of ``{session key: librarian id}``, each key whose session still belongs to that
    librarian, with the librarian's display name now: the same test as
    :func:`get_live_librarians`, in two raw queries, for the message path."""
    if not sessions:
        return {}
    user_model = get_user_model()
    keys = list(sessions)
    ids = sorted(set(sessions.values()))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sessions_table = Session._meta.db_table
    users_table = user_model._meta.db_table
    librarians_table = Librarian._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # One statement that returns one row: SQLite's driver releases the interpreter
            # lock for each row it steps through, and the event loop must give it back.
            cursor.execute(
                "SELECT (SELECT json_group_array(json_array(session_key, session_data)) "  # noqa: S608
                f"FROM {sessions_table} WHERE session_key IN (SELECT value FROM json_each(%s)) "
                "AND expire_date > %s), (SELECT json_group_array(json_array(l.id, "
                f"l.display_name, u.id, u.password)) FROM {librarians_table} l "
                f"JOIN {users_table} u ON u.id = l.user_id "
                "WHERE u.is_active AND l.id IN (SELECT value FROM json_each(%s)))",
                [json.dumps(keys), now, json.dumps(ids)],
            )
            found_sessions, found_librarians = cursor.fetchone()
            rows = json.loads(found_sessions)
            librarian_rows = json.loads(found_librarians)
        else:
            key_marks = ", ".join(["%s"] * len(keys))
            id_marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"SELECT session_key, session_data FROM {sessions_table} "  # noqa: S608
                f"WHERE session_key IN ({key_marks}) AND expire_date > %s",
                [*keys, now],
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT l.id, l.display_name, u.id, u.password FROM {librarians_table} l "  # noqa: S608
                f"JOIN {users_table} u ON u.id = l.user_id "
                f"WHERE u.is_active AND l.id IN ({id_marks})",
                ids,
            )
            librarian_rows = cursor.fetchall()
    librarians = {row[0]: row[1:] for row in librarian_rows}
    live: dict[str, str] = {}
    for key, raw in rows:
        data = _decoded_sessions.get(_under_keys(raw))
        if data is None:
            data = _remember(_decoded_sessions, _under_keys(raw), SessionStore().decode(raw))
        found = librarians.get(sessions[key])
        # As Django's own check: a backend the desk lists, the user the session names, and
        # the session hash of the user's password under the secret key or a fallback one.
        if found is None or data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            continue
        name, user_id, password = found
        if str(data.get(SESSION_KEY)) != str(user_id):
            continue
        expected = _auth_hashes.get(_under_keys(password))
        if expected is None:
            user = user_model(password=password)
            hashes = (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash())
            expected = _remember(_auth_hashes, _under_keys(password), hashes)
        given = str(data.get(HASH_SESSION_KEY, ""))
        if any(constant_time_compare(given, known) for known in expected):
            live[key] = name
    return live


def list_session_keys_of_user(user_id: int) -> list[str]:
    """The keys of every unexpired session logged in as the user ``user_id``.

    Django's database sessions keep the user's id only inside the signed session data, so
    no index finds them: this reads every unexpired session row once, in chunks, and
    decodes each (a signature check and a JSON parse, some microseconds, and cached like
    the console's checks). The desk's sessions are its staff's log-ins (patrons have none),
    a few hundred at most, and this runs only when an account is deactivated.
    """
    wanted = str(user_id)
    now = timezone.now()
    found: list[str] = []
    rows = (
        Session.objects.filter(expire_date__gt=now)
        .values_list("session_key", "session_data")
        .iterator(chunk_size=2000)
    )
    for key, raw in rows:
        data = _decoded_sessions.get(_under_keys(raw))
        if data is None:
            data = _remember(_decoded_sessions, _under_keys(raw), SessionStore().decode(raw))
        if str(data.get(SESSION_KEY)) == wanted:
            found.append(key)
    return found


def get_librarian_for_session_key(session_key: str | None) -> Librarian | None:
    """The librarian whose session this is, checked exactly as every later frame is
    (:func:`get_live_names`); None otherwise. Nothing about the session is written."""
    if not session_key:
        return None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT session_data FROM {Session._meta.db_table} "  # noqa: S608
            "WHERE session_key = %s AND expire_date > %s",
            [session_key, now],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        user_id = SessionStore().decode(row[0]).get(SESSION_KEY)
        if user_id is None or not str(user_id).isdigit():
            return None
        cursor.execute(
            f"SELECT id FROM {Librarian._meta.db_table} WHERE user_id = %s",  # noqa: S608
            [int(str(user_id))],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    librarian_id = found[0]
    return get_live_librarians({session_key: librarian_id}).get(session_key)


def get_login_wait(username: str, *, address: str) -> int:
    """Seconds before the password of a log-in as ``username`` from ``address`` may be
    checked; 0 for at once. The policy is :mod:`refdesk.accounts.throttle`'s; one query
    reads the pair's, the account's and the address's failures in the window."""
    keys = throttle.login_keys(username, address)
    counts = get_recent_counts(keys.counted(), within_seconds=throttle.WINDOW_SECONDS)

    def failures(key: str | None) -> throttle.Failures:
        return throttle.Failures(*counts[key]) if key is not None else throttle.NO_FAILURES

    return throttle.seconds_to_wait(
        pair=failures(keys.pair),
        account=failures(keys.account),
        address=failures(keys.address),
        now=timezone.now(),
    )
