"""The only writer of chats, messages and chat events.

Each ``do_*`` writes in one transaction, records a ``ChatEvent`` for every state change and
publishes its events after the commit. Races (claim, end) are settled by conditional
updates whose row count names the one winner, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from refdesk.accounts.actions import do_broadcast_presence
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import count_supervisors_at_desk, is_anyone_online, is_operator
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_by_slug, get_hours_today
from refdesk.chats.access import access_chat
from refdesk.chats.events import (
    ChatCreated,
    ChatUpdated,
    DeadAirAlert,
    DeclineReason,
    EmailRequested,
    EndReasonName,
    FlaggedAlert,
    MessageEvent,
    NoteEvent,
    PatronChatClaimed,
    PatronChatEnded,
    PatronChatTransferred,
    PatronConnectionEvent,
    QueuePositionEvent,
    SilentPatronAlert,
    SilentStage,
    StaffChatClaimed,
    StaffChatEnded,
    StaffChatTransferred,
    SupervisorAlert,
    TicketOffer,
    TransferDeclined,
    TransferOffered,
    TransferReason,
    TypingEvent,
)
from refdesk.chats.models import (
    Chat,
    ChatEvent,
    ChatNote,
    ChatState,
    EndReason,
    InterviewQuestion,
    Message,
    PatronConnection,
    Sender,
)
from refdesk.chats.screening import Finding, graver, screen_patron_message
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_for_staff,
    hash_token,
    list_campuses_with_queue_changes,
    list_chats_for_staff,
    list_messages_json,
    list_queue_places,
    message_event,
    message_payload,
    note_payload,
    with_messages,
)
from refdesk.core.actions import do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import (
    FOR_PATRON,
    STAFF_GROUP,
    SUPERVISORS_GROUP,
    EncodedEvent,
    chat_group,
    for_patron,
    librarian_group,
    send_event,
    send_event_on_commit,
    send_events_on_commit,
    watch_group,
)
from refdesk.core.text import clean_email, clean_text, strip_query
from refdesk.intake.actions import (
    clean_name_and_question,
    do_limit_patron,
    hash_address,
    hash_browser_id,
)
from refdesk.intake.hours_question import ask_about_hours, hours_answer
from refdesk.intake.useragent import describe_browser

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_EMAIL_VALIDATOR = EmailValidator()


def _record_event(
    chat: Chat, event_type: str, data: dict[str, Any], *, actor: Librarian | None = None
) -> int:
    """Write the ``ChatEvent`` row of a state change (its staff event's fields but the type
    and id) and return its id, the staff socket's cursor."""
    row = ChatEvent.objects.create(
        chat=chat, type=event_type, actor=actor, data=data, created_at=timezone.now()
    )
    return int(row.pk)


# ---------------------------------------------------------------------------
# Starting a chat
# ---------------------------------------------------------------------------


def check_create_chat(
    *,
    campus_slug: object,
    name: object,
    email: object,
    question: object,
    page_url: object = "",
    user_agent: str = "",
    address: str = "",
    browser_id: object = "",
) -> tuple[Chat, str]:
    """Validate a patron's pre-chat form and start the chat.

    A question typed into the name box becomes the question (the name is left empty and
    the chat is marked). Raises ``ActionError`` with ``unknown_campus``, ``invalid``,
    ``too_long``, ``offline`` (with the campus's hours today) or ``rate_limited`` (with
    ``retry_after``) and stores no chat then.
    """
    campus = get_campus_by_slug(campus_slug) if isinstance(campus_slug, str) else None
    if campus is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    clean_name, clean_question, name_was_question = clean_name_and_question(name, question)
    clean_mail = clean_email(email)
    if not is_anyone_online():
        raise ActionError(
            "offline",
            "No librarian is online right now. Please try again during opening hours.",
            campus=campus.slug,
            hours_today=get_hours_today(campus),
        )
    _limit_new_chats(address=address, browser_id=browser_id)
    return do_create_chat(
        campus,
        patron_name=clean_name,
        patron_email=clean_mail,
        question=clean_question,
        name_was_question=name_was_question,
        page_url=strip_query(page_url),
        browser=describe_browser(user_agent[:400]),
        ip_hash=hash_address(address),
        browser_hash=hash_browser_id(browser_id),
    )


def _limit_new_chats(*, address: str, browser_id: object) -> None:
    limits = settings.REFDESK
    do_limit_patron(
        "chat",
        browser_id=browser_id,
        address=address,
        per_browser=(limits["NEW_CHATS_PER_BROWSER"], limits["NEW_CHATS_BROWSER_WINDOW"]),
        per_address=(limits["NEW_CHATS_PER_ADDRESS"], limits["NEW_CHATS_ADDRESS_WINDOW"]),
        refusal="Too many new chats from here",
    )


def waiting_timers(now: dt.datetime) -> dict[str, Any]:
    """The stored timers of a chat that starts waiting in a queue ``now`` (a new chat, or
    one that goes back to a queue): its campus first, then a ticket offer."""
    desk = settings.REFDESK
    return {
        "waiting_since": now,
        "home_until": now + dt.timedelta(seconds=desk["HOME_CAMPUS_SECONDS"]),
        "home_ended_at": None,
        "ticket_offer_at": now + dt.timedelta(seconds=desk["TICKET_OFFER_SECONDS"]),
        "ticket_offered_at": None,
    }


def active_timers(now: dt.datetime) -> dict[str, Any]:
    """The stored timers of a chat claimed ``now``: its question waits for the librarian's
    first reply (dead air counts from the claim), and nobody is silent yet."""
    return {
        "patron_waiting_since": now,
        "dead_air_alerted_at": None,
        "patron_silent_since": None,
        "silent_asked_at": None,
        "silent_end_at": None,
    }


def do_create_chat(
    campus: Campus,
    *,
    patron_name: str,
    patron_email: str,
    question: str,
    name_was_question: bool = False,
    page_url: str = "",
    browser: str = "",
    ip_hash: str = "",
    browser_hash: str = "",
) -> tuple[Chat, str]:
    """Create a waiting chat whose first message is the question; return it and its token.

    Writes a ``chat.created`` event and broadcasts it to the staff group.
    """
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        chat = Chat.objects.create(
            campus=campus,
            token_hash=hash_token(token),
            patron_name=patron_name,
            patron_email=patron_email,
            question=question,
            name_was_question=name_was_question,
            page_url=page_url,
            browser=browser,
            ip_hash=ip_hash,
            browser_hash=browser_hash,
            last_seq=1,
            created_at=now,
            **waiting_timers(now),
        )
        Message.objects.create(
            chat=chat,
            seq=1,
            sender=Sender.PATRON,
            sender_name=patron_name,
            body=question,
            created_at=now,
        )
        summary = chat_summary(chat)
        event_id = _record_event(chat, "chat.created", {"chat": summary})
        send_event_on_commit(
            [STAFF_GROUP], ChatCreated(type="chat.created", event_id=event_id, chat=summary)
        )
        # A chat that opens with a question about hours has its answer waiting for it.
        do_answer_hours_question(chat.pk, question=question, now=now)
    return chat, token


# ---------------------------------------------------------------------------
# Claiming
# ---------------------------------------------------------------------------


def do_claim_chat(chat_id: int, *, acting_librarian: Librarian) -> Chat:
    """Take a waiting chat. Exactly one of any number of concurrent claims wins.

    The winner's conditional update (``WHERE state = 'waiting'``) changes one row; every
    other claim changes none and gets ``ActionError("already_claimed", by=<name>)``.
    Broadcasts ``chat.claimed`` to the staff group and to the patron, and the claimer's
    ``presence`` (their number of active chats).
    """
    now = timezone.now()
    with transaction.atomic():
        won = Chat.objects.filter(pk=chat_id, state=ChatState.WAITING).update(
            state=ChatState.ACTIVE,
            librarian=acting_librarian,
            claimed_at=now,
            **active_timers(now),
        )
        chat = get_chat_for_staff(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if not won:
            raise _not_waiting(chat)
        by, by_id, summary = acting_librarian.display_name, acting_librarian.pk, chat_summary(chat)
        event_id = _record_event(
            chat,
            "chat.claimed",
            {"chat_id": chat.pk, "by": by, "by_id": by_id, "chat": summary},
            actor=acting_librarian,
        )
        send_event_on_commit(
            [STAFF_GROUP],
            StaffChatClaimed(
                type="chat.claimed",
                event_id=event_id,
                chat_id=chat.pk,
                by=by,
                by_id=by_id,
                chat=summary,
            ),
        )
        send_event_on_commit(
            [chat_group(chat.pk)],
            PatronChatClaimed(
                type="chat.claimed", chat_id=chat.pk, by=acting_librarian.display_name
            ),
            meta=for_patron({"librarian_id": acting_librarian.pk}),
        )
        # Their number of active chats changed.
        do_broadcast_presence(acting_librarian.pk)
    return chat


def _not_waiting(chat: Chat) -> ActionError:
    if chat.state == ChatState.ENDED:
        return ActionError(
            "chat_ended", "That chat has ended.", chat_id=chat.pk, end_reason=chat.end_reason
        )
    by = chat.librarian.display_name if chat.librarian else None
    return ActionError(
        "already_claimed",
        f"Claimed by {by}." if by else "That chat was already claimed.",
        chat_id=chat.pk,
        by=by,
        by_id=chat.librarian_id,
    )


# ---------------------------------------------------------------------------
# Messages and typing
# ---------------------------------------------------------------------------


def clean_client_id(client_id: object) -> str:
    """A client's own message id (for de-duplication): printable text up to 64 characters."""
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or len(client_id) > 64 or not client_id.isprintable():  # noqa: PLR2004
        raise ActionError(
            "invalid", "client_id must be text of at most 64 characters.", field="client_id"
        )
    return client_id


def clean_message_body(body: object) -> str:
    """A message body: plain text, 1 to 4,000 characters after cleaning."""
    return clean_text(
        body, field="message", max_chars=settings.REFDESK["MAX_MESSAGE_CHARS"], required=True
    )


@dataclass(frozen=True)
class NewMessage:
    """One message to store; ``librarian`` is set for librarian messages."""

    chat_id: int
    sender: str
    body: str
    client_id: str = ""
    librarian_id: int | None = None
    librarian_name: str = ""
    # The socket it came from, which learns of it from its ack rather than the broadcast.
    origin: str = ""
    # The librarian's session, re-checked with the batch (not stored).
    session_key: str = ""


def check_send_patron_message(chat: Chat, *, client_id: object, body: object) -> Mapping[str, Any]:
    """A patron's message to their own chat (waiting or active); returns its payload."""
    return do_send_message(
        NewMessage(chat.pk, Sender.PATRON, clean_message_body(body), clean_client_id(client_id))
    )


def check_send_librarian_message(
    chat_id: int, *, acting_librarian: Librarian, client_id: object, body: object
) -> Mapping[str, Any]:
    """A librarian's message to a chat they hold; returns its payload."""
    return do_send_message(
        NewMessage(
            chat_id,
            Sender.LIBRARIAN,
            clean_message_body(body),
            clean_client_id(client_id),
            librarian_id=acting_librarian.pk,
            librarian_name=acting_librarian.display_name,
        )
    )


def do_send_message(message: NewMessage) -> Mapping[str, Any]:
    """Store one message (see :func:`do_store_messages`); raise its refusal."""
    (result,) = do_store_messages([message])
    if isinstance(result, ActionError):
        raise result
    return result


_INSERT = (
    "INSERT INTO chats_message (chat_id, seq, sender, librarian_id, sender_name, body, "
    "client_id, created_at, flag) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def do_store_messages(batch: list[NewMessage]) -> list[Mapping[str, Any] | ActionError]:
    """Store a batch of messages in one transaction; broadcast each after the commit.

    Each message takes its chat's next ``seq`` from the batch's locked read of its chats,
    which also decides that the chat is open (and, for a librarian, that they hold it);
    the lock serialises senders of one chat with each other and with claims and ends. A
    message whose ``client_id`` is already
    stored for that chat and sender is answered with the stored one and not broadcast
    again. Returns, in order, each message's payload or the ``ActionError`` refusing it;
    one refusal does not hold back the others.
    """
    # Resends are rare, so the batch is first written without looking for stored copies:
    # the unique index on (chat, sender, client_id) refuses a duplicate, and only then is
    # the batch written again with the lookup.
    # Patron lines are screened before the transaction, so the write lock is not held
    # for it (and a second attempt does not screen again).
    findings = [
        screen_patron_message(message.body) if message.sender == Sender.PATRON else None
        for message in batch
    ]
    for lookup in (False, True):
        try:
            with transaction.atomic():
                return _store_batch(batch, findings, lookup=lookup)
        except IntegrityError:
            continue
    if len(batch) == 1:
        # The same resend raced itself in another process: the other copy was stored.
        found = _stored_copies(batch)[0].get(_dedupe_key(batch[0]))
        if found is None:
            raise IntegrityError("message could not be stored")
        return [found]
    # Settle the batch one message at a time, so only the racing one is affected.
    return [do_store_messages([message])[0] for message in batch]


def _dedupe_key(message: NewMessage) -> tuple[int, str, str]:
    return (message.chat_id, message.sender, message.client_id)


def _stored_copies(
    batch: list[NewMessage],
) -> tuple[dict[tuple[int, str, str], Mapping[str, Any]], dict[tuple[int, str, str], int | None]]:
    """Messages of the batch already stored under their ``client_id`` (resends).

    One raw query for the batch: an OR of (chat, sender, client id) terms, each of which
    both SQLite and PostgreSQL answer with one seek of the unique index.
    """
    wanted = sorted({_dedupe_key(m) for m in batch if m.client_id})
    if not wanted:
        return {}, {}
    # Only placeholders are joined into the text; every value is a parameter.
    terms = " OR ".join(["(chat_id = %s AND sender = %s AND client_id = %s)"] * len(wanted))
    sql = (
        "SELECT chat_id, seq, sender, sender_name, body, client_id, created_at, "  # noqa: S608
        f"librarian_id FROM chats_message WHERE {terms}"
    )
    found: dict[tuple[int, str, str], Mapping[str, Any]] = {}
    owners: dict[tuple[int, str, str], int | None] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in wanted for value in key])
        for row in cursor.fetchall():
            chat_id, seq, sender, sender_name, body, client_id, created, librarian_id = row
            owners[(chat_id, sender, client_id)] = librarian_id
            found[(chat_id, sender, client_id)] = message_event(
                chat_id=chat_id,
                seq=seq,
                sender=sender,
                sender_name=sender_name,
                body=body,
                client_id=client_id,
                sent_at=_as_datetime(created),
            )
    return found, owners


def _as_datetime(value: object) -> dt.datetime:
    """A timestamp read by raw SQL: PostgreSQL gives datetimes, SQLite gives UTC text."""
    when = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if when is None:
        raise ValueError(f"not a stored time: {value!r}")
    return when if timezone.is_aware(when) else when.replace(tzinfo=dt.UTC)


# A batch is a fixed handful of statements, whatever its size: one read of the chats it
# touches, one UPDATE of their seqs and one INSERT of every row. The read decides each
# message (the chat open; a librarian's chat held by them) and its seq, under a lock that
# lasts to the commit: on SQLite the IMMEDIATE transaction holds the one write lock from
# BEGIN; on PostgreSQL the read locks the chat rows (FOR UPDATE, in id order), so a claim,
# an end or another process's batch waits for this one and then sees its seqs.
#
# SQLite's rows travel as one JSON parameter and its reads come back as one JSON row:
# the driver lets go of the interpreter lock for every row it steps through, and each
# step then waits for the event loop to give it back.
_READ_CHATS_SQLITE = (
    "SELECT json_group_array(json_array(id, last_seq, state, librarian_id, patron_name, "
    "patron_waiting_since, patron_silent_since, silent_asked_at, silent_end_at, joined_id, "
    "flag)) "
    "FROM chats_chat WHERE id IN (SELECT value FROM json_each(%s))"
)
_SET_SEQS_SQLITE = (
    "UPDATE chats_chat SET last_seq = json_extract(j.value, '$[1]'), "
    "patron_waiting_since = json_extract(j.value, '$[2]'), "
    "patron_silent_since = json_extract(j.value, '$[3]'), "
    "silent_asked_at = json_extract(j.value, '$[4]'), "
    "silent_end_at = json_extract(j.value, '$[5]'), "
    "flag = json_extract(j.value, '$[6]') "
    "FROM json_each(%s) AS j WHERE chats_chat.id = json_extract(j.value, '$[0]')"
)
_INSERT_ROWS_SQLITE = (
    "INSERT INTO chats_message (chat_id, seq, sender, librarian_id, sender_name, body, "
    "client_id, created_at, flag) SELECT json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
    "json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), "
    "json_extract(value, '$[7]'), json_extract(value, '$[8]') FROM json_each(%s)"
)
_READ_CHATS_POSTGRES = (
    "SELECT id, last_seq, state, librarian_id, patron_name, patron_waiting_since, "
    "patron_silent_since, silent_asked_at, silent_end_at, joined_id, flag FROM chats_chat "
    "WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
)
_SET_SEQS_POSTGRES = (
    "UPDATE chats_chat SET last_seq = v.seq, patron_waiting_since = v.waiting, "
    "patron_silent_since = v.silent, silent_asked_at = v.asked, silent_end_at = v.ended, "
    "flag = v.flag FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], "
    "%s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::text[]) "
    "AS v(id, seq, waiting, silent, asked, ended, flag) "
    "WHERE chats_chat.id = v.id"
)

# A chat as the batch sees it: [last_seq, state, librarian_id, patron_name,
# patron_waiting_since, patron_silent_since, silent_asked_at, silent_end_at, joined_id,
# flag] (the times as the database gives them, and as it takes them back; the joined
# supervisor may write beside the holder; the flag is the gravest of its lines so far).
_ChatRow = list[Any]


def _read_chats(cursor: Any, batch: list[NewMessage]) -> dict[int, _ChatRow]:
    ids = sorted({message.chat_id for message in batch})
    if connection.vendor == "sqlite":
        cursor.execute(_READ_CHATS_SQLITE, [json.dumps(ids)])
        row = cursor.fetchone()
        found = json.loads(row[0] if row and row[0] else "[]")
    else:
        cursor.execute(_READ_CHATS_POSTGRES, [ids])
        found = cursor.fetchall()
    return {item[0]: list(item[1:]) for item in found}


def _write_batch(cursor: Any, rows: list[tuple[Any, ...]], chats: dict[int, _ChatRow]) -> None:
    """Move each chat's seq to its last new message, store its timers (see
    :func:`_move_timers`) and its flag in the same UPDATE, and insert the rows."""
    changed = [
        [chat_id, chats[chat_id][0], *chats[chat_id][4:8], chats[chat_id][9]]
        for chat_id in sorted({row[0] for row in rows})
    ]
    if connection.vendor == "sqlite":
        cursor.execute(_SET_SEQS_SQLITE, [json.dumps(changed)])
        cursor.execute(_INSERT_ROWS_SQLITE, [json.dumps(rows, ensure_ascii=False)])
    else:
        cursor.execute(_SET_SEQS_POSTGRES, [list(column) for column in zip(*changed, strict=True)])
        cursor.executemany(_INSERT, rows)


def _move_timers(chat: _ChatRow, sender: str, stamp: Any) -> None:
    """An active chat's timers after a message from ``sender`` (``chat`` as the batch reads
    it): a patron's message starts a wait for the librarian (unless one already runs) and
    ends any silence; a librarian's ends the wait and starts (or restarts) a silence."""
    if chat[1] != ChatState.ACTIVE:
        return
    if sender == Sender.PATRON:
        chat[4] = chat[4] or stamp
        chat[5] = chat[6] = chat[7] = None
    elif sender == Sender.LIBRARIAN:
        chat[4] = None
        chat[5] = stamp


def _may_send(
    message: NewMessage, state: str, librarian_id: int | None, joined_id: int | None = None
) -> bool:
    """The chat is open, and a librarian holds the chat they write to (or joined it as a
    supervisor)."""
    if message.sender == Sender.LIBRARIAN:
        return state == ChatState.ACTIVE and message.librarian_id in (librarian_id, joined_id)
    return state in (ChatState.WAITING, ChatState.ACTIVE)


def _bump(
    message: NewMessage, chats: dict[int, _ChatRow]
) -> tuple[int, int | None, str, str] | ActionError:
    """The message's seq and its chat's librarian, state and patron name, the chat's seq
    moved on in ``chats`` (the batch's read of its chats); or why it may not be stored."""
    chat = chats.get(message.chat_id)
    if chat is None:
        return _refusal(message, None)
    if not _may_send(message, chat[1], chat[2], chat[8]):
        return _refusal(message, chat[1])
    chat[0] += 1
    return chat[0], chat[2], chat[1], chat[3]


def _store_batch(
    batch: list[NewMessage], findings: list[Finding | None], *, lookup: bool
) -> list[Mapping[str, Any] | ActionError]:
    results: list[Mapping[str, Any] | ActionError] = []
    known, owners = _stored_copies(batch) if lookup else ({}, {})
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[list[str], dict[str, Any], dict[str, Any] | None]] = []
    flagged: list[tuple[int, int, Finding, int | None, str]] = []
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        chats = _read_chats(cursor, batch)
        for message, finding in zip(batch, findings, strict=True):
            key = _dedupe_key(message)
            if message.client_id and key in known:
                copy = known[key]
                if message.sender == Sender.LIBRARIAN and owners.get(key) != message.librarian_id:
                    # Another librarian's message: its id is no key to its text.
                    results.append(
                        ActionError(
                            "not_yours",
                            "Claim the chat before you answer it.",
                            chat_id=message.chat_id,
                        )
                    )
                    continue
                results.append(copy)
                continue
            bumped = _bump(message, chats)
            if isinstance(bumped, ActionError):
                results.append(bumped)
                continue
            seq, librarian_id, state, patron_name = bumped
            _move_timers(chats[message.chat_id], message.sender, stamp)
            sender_name = message.librarian_name if message.librarian_id else patron_name
            rows.append(
                (
                    message.chat_id,
                    seq,
                    message.sender,
                    message.librarian_id,
                    sender_name,
                    message.body,
                    message.client_id or None,
                    stamp,
                    finding.kind if finding else "",
                )
            )
            if finding is not None:
                flagged.append((message.chat_id, seq, finding, librarian_id, state))
                chat_row = chats[message.chat_id]
                chat_row[9] = graver(chat_row[9], finding.kind)
            payload = EncodedEvent.of(
                message_event(
                    chat_id=message.chat_id,
                    seq=seq,
                    sender=message.sender,
                    sender_name=sender_name,
                    body=message.body,
                    client_id=message.client_id,
                    sent_at=now,
                )
            )
            if message.client_id:
                known[key] = payload
                owners[key] = message.librarian_id
            groups = [chat_group(message.chat_id)]
            if librarian_id is not None and state == ChatState.ACTIVE:
                groups.append(librarian_group(librarian_id))
            events.append((groups, payload, {"origin": message.origin} if message.origin else None))
            results.append(payload)
        if rows:
            _write_batch(cursor, rows, chats)
    events.extend(_flagged(line, now) for line in flagged)
    send_events_on_commit(events)
    return results


def _flagged(
    flagged: tuple[int, int, Finding, int | None, str], moment: dt.datetime
) -> tuple[list[str], dict[str, Any], None]:
    """Record a flagged patron line (a ``chat.flagged`` ``ChatEvent``: the chat, the kind
    and the line's seq, never the words) and the ``alert`` for it: to the holder's
    consoles when the chat is active, to every console while it waits."""
    chat_id, seq, finding, librarian_id, state = flagged
    ChatEvent.objects.create(
        chat_id=chat_id,
        type="chat.flagged",
        data={"chat_id": chat_id, "kind": finding.kind, "seq": seq},
        created_at=moment,
    )
    alert = FlaggedAlert(
        type="alert", chat_id=chat_id, kind=finding.kind, seq=seq, terms=list(finding.terms)
    )
    if librarian_id is not None and state == ChatState.ACTIVE:
        return [librarian_group(librarian_id)], dict(alert), None
    return [STAFF_GROUP], dict(alert), None


def _refusal(message: NewMessage, state: str | None) -> ActionError:
    """Why ``message`` may not be stored, from its chat's state (None: no such chat)."""
    if state is None:
        return ActionError("not_found", "There is no such chat.", chat_id=message.chat_id)
    if state == ChatState.ENDED:
        return ActionError("chat_ended", "This chat has ended.", chat_id=message.chat_id)
    return ActionError("not_yours", "Claim the chat before you answer it.", chat_id=message.chat_id)


async def do_send_typing(
    chat_id: int, *, sender: str, active: bool, librarian_id: int | None
) -> None:
    """Tell the other side that someone is (or stopped) typing. Nothing is stored."""
    event = TypingEvent(
        type="typing",
        chat_id=chat_id,
        sender="patron" if sender == Sender.PATRON else "librarian",
        active=bool(active),
    )
    if sender == Sender.PATRON:
        if librarian_id is not None:
            await send_event([librarian_group(librarian_id)], event)
    else:
        await send_event([chat_group(chat_id)], event, meta=FOR_PATRON)


# ---------------------------------------------------------------------------
# Ending
# ---------------------------------------------------------------------------


def check_end_chat_by_librarian(
    chat_id: int, *, acting_librarian: Librarian, closing: object = ""
) -> Chat:
    """End a chat the librarian holds (or, for a supervisor, any chat), after sending the
    closing line if one is given (only the holder's own line is sent).

    The end is conditional on the holder the check saw: if the chat changed hands between
    the check and the write, the old holder is refused with ``not_yours`` and nothing
    changes.
    """
    closing_text = clean_text(
        closing, field="closing", max_chars=settings.REFDESK["MAX_MESSAGE_CHARS"]
    )
    chat = access_chat(acting_librarian, chat_id, for_="end")
    if (
        closing_text
        and chat.librarian_id == acting_librarian.pk
        and not _last_line_was(chat, acting_librarian, closing_text)
    ):
        do_send_message(
            NewMessage(
                chat.pk,
                Sender.LIBRARIAN,
                closing_text,
                librarian_id=acting_librarian.pk,
                librarian_name=acting_librarian.display_name,
            )
        )
    # The holder ends their own chat only while it is theirs; a supervisor ends any.
    mine = chat.librarian_id == acting_librarian.pk
    return do_end_chat(
        chat,
        reason=EndReason.CLOSED,
        acting_librarian=acting_librarian,
        holder=acting_librarian.pk if mine else None,
    )


def _last_line_was(chat: Chat, librarian: Librarian, text: str) -> bool:
    """Whether the chat's newest line is this librarian's and says ``text``: a closing line
    they already typed (or a second end from another tab) is not sent again."""
    lines = chat.messages.exclude(sender=Sender.SYSTEM).order_by("-seq")
    last = lines.values_list("sender", "librarian_id", "body").first()
    return last == (Sender.LIBRARIAN, librarian.pk, text)


def do_end_chat(
    chat: Chat,
    *,
    reason: str,
    acting_librarian: Librarian | None = None,
    holder: int | None = None,
    where: Q | None = None,
    only_if_waiting: bool = False,
    patron_email: str | None = None,
    line: str | None = None,
) -> Chat:
    """End a waiting or active chat once; later calls raise ``ActionError("chat_ended")``.

    With ``holder`` (a librarian id), the end is conditional on the chat still being held
    by them (``… WHERE librarian_id = holder``): if it changed hands,
    ``ActionError("not_yours")`` and nothing changes. With ``only_if_waiting``, it is
    conditional on the chat still waiting (``… WHERE state = 'waiting'``): a chat claimed
    meanwhile is refused with ``already_claimed``. With ``where``, the end is also
    conditional on it (a timer's stored time): when it no longer holds, nothing changes
    and ``ActionError("chat_ended")`` is raised as for an ended chat. ``patron_email``,
    when given, is stored on the chat by the same update; ``line`` replaces the neutral
    end line.

    Writes a system message ("The chat has ended.") and a ``chat.ended`` event; broadcasts
    ``chat.ended`` to the patron and the staff group, then the holder's ``presence`` (their
    number of active chats) when it had one.
    """
    now = timezone.now()
    with transaction.atomic():
        open_chat = Chat.objects.filter(pk=chat.pk).exclude(state=ChatState.ENDED)
        if holder is not None:
            open_chat = open_chat.filter(librarian_id=holder)
        if where is not None:
            open_chat = open_chat.filter(where)
        if only_if_waiting:
            open_chat = open_chat.filter(state=ChatState.WAITING)
        changes: dict[str, Any] = {"patron_email": patron_email} if patron_email else {}
        ended = open_chat.update(
            state=ChatState.ENDED,
            end_reason=reason,
            ended_at=now,
            last_seq=F("last_seq") + 1,
            **changes,
        )
        if not ended:
            if where is not None:
                raise ActionError("chat_ended", "That chat no longer ends so.", chat_id=chat.pk)
            current = get_chat_for_staff(chat.pk)
            if current is not None and current.state != ChatState.ENDED:
                if only_if_waiting and current.state != ChatState.WAITING:
                    raise _not_waiting(current)
                raise ActionError(
                    "not_yours", "The chat changed hands; it is not yours to end.", chat_id=chat.pk
                )
            raise ActionError("chat_ended", "That chat has already ended.", chat_id=chat.pk)
        fresh = get_chat_for_staff(chat.pk)
        assert fresh is not None  # noqa: S101 - the row was just updated
        message = Message.objects.create(
            chat=fresh,
            seq=fresh.last_seq,
            sender=Sender.SYSTEM,
            body=line or _end_line(reason),
            created_at=now,
        )
        payload = message_payload(message)
        groups = [chat_group(fresh.pk)]
        if fresh.librarian_id is not None:
            groups.append(librarian_group(fresh.librarian_id))
        send_event_on_commit(groups, payload)
        ended_reason = cast(EndReasonName, reason)
        summary = chat_summary(fresh)
        event_id = _record_event(
            fresh,
            "chat.ended",
            {"chat_id": fresh.pk, "reason": reason, "chat": summary},
            actor=acting_librarian,
        )
        send_event_on_commit(
            [STAFF_GROUP],
            StaffChatEnded(
                type="chat.ended",
                event_id=event_id,
                chat_id=fresh.pk,
                reason=ended_reason,
                chat=summary,
            ),
        )
        send_event_on_commit(
            [chat_group(fresh.pk)],
            PatronChatEnded(
                type="chat.ended", chat_id=fresh.pk, reason=_patron_reason(ended_reason)
            ),
            meta=FOR_PATRON,
        )
        if fresh.librarian_id is not None:
            # The holder's number of active chats changed.
            do_broadcast_presence(fresh.librarian_id)
    return fresh


def _patron_reason(reason: EndReasonName) -> EndReasonName:
    """The end reason the patron is told: a blocked patron is told only that the chat was
    closed, never that they were blocked (which could provoke them, or tell a shared
    computer's next user about the last one)."""
    return "closed" if reason == "blocked" else reason


def do_end_chats_of_blocked_patron(
    chat: Chat, *, acting_librarian: Librarian | None = None
) -> list[int]:
    """End ``chat`` and every other open chat from the same browser (``browser_hash``)
    with the end reason ``blocked``, each as :func:`do_end_chat` does (the patron is told
    a neutral ``closed``); returns the ids of the chats it ended. Chats of other people
    from the same address are left alone: only new chats from it are refused."""
    open_chats = Chat.objects.exclude(state=ChatState.ENDED)
    same = Q(pk=chat.pk)
    if chat.browser_hash:
        same |= Q(browser_hash=chat.browser_hash)
    ended: list[int] = []
    for match in open_chats.filter(same).order_by("pk"):
        try:
            do_end_chat(match, reason=EndReason.BLOCKED, acting_librarian=acting_librarian)
        except ActionError:
            continue  # ended meanwhile
        ended.append(match.pk)
    return ended


def _end_line(reason: str) -> str:
    """The system line that tells both sides a chat ended; neutral unless a side left it."""
    return {
        EndReason.PATRON_LEFT: "The patron left the chat.",
        EndReason.CLOSED: "The librarian ended the chat.",
    }.get(EndReason(reason), "The chat has ended.")


# ---------------------------------------------------------------------------
# The patron's email
# ---------------------------------------------------------------------------


def check_ask_email(chat_id: int, *, acting_librarian: Librarian) -> Chat:
    """Ask the patron of a chat the librarian holds (or, for a supervisor, any open chat)
    for an email address: their sockets get ``email.requested``. Nothing is stored.

    Raises ``not_found``, ``not_yours`` or ``chat_ended`` (see ``access_chat``).
    """
    chat = access_chat(acting_librarian, chat_id, for_="end")
    send_event_on_commit(
        [chat_group(chat.pk)],
        EmailRequested(type="email.requested", chat_id=chat.pk),
        meta=FOR_PATRON,
    )
    return chat


def clean_patron_email(value: object) -> str:
    """A patron's email address, required: one line, at most ``MAX_EMAIL_CHARS``, shaped
    like an address. ``invalid`` or ``too_long`` otherwise."""
    email = clean_email(value, max_chars=settings.REFDESK["MAX_EMAIL_CHARS"])
    if not email:
        raise ActionError("invalid", "Please give your email address.", field="email")
    # The answer is emailed there: the full check, not the light one of the pre-chat form,
    # and no invisible characters that would make two addresses look alike.
    if any(unicodedata.category(c) in {"Cf", "Cc", "Zs", "Zl", "Zp"} for c in email):
        raise ActionError("invalid", "That email address does not look right.", field="email")
    try:
        _EMAIL_VALIDATOR(email)
    except ValidationError as exc:
        raise ActionError(
            "invalid", "That email address does not look right.", field="email"
        ) from exc
    return email


def check_set_chat_email(chat_id: int, *, email: object) -> Chat:
    """The patron's answer to ``email.requested`` (``email.set``): validate it and store it
    with :func:`do_set_chat_email`."""
    return do_set_chat_email(chat_id, email=clean_patron_email(email))


def do_set_chat_email(chat_id: int, *, email: str) -> Chat:
    """Store a cleaned email address on a chat that has not ended (``chat_ended`` once it
    has: the update is conditional on the state).

    Writes a ``chat.updated`` ``ChatEvent`` for the record and broadcasts ``chat.updated``
    to the staff group after the commit.
    """
    with transaction.atomic():
        changed = (
            Chat.objects.filter(pk=chat_id)
            .exclude(state=ChatState.ENDED)
            .update(patron_email=email)
        )
        chat = get_chat_for_staff(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if not changed:
            raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
        summary = chat_summary(chat)
        # Kept for the record; chat.updated itself is not a resume point.
        _record_event(chat, "chat.updated", {"chat": summary, "fields": ["patron_email"]})
        send_event_on_commit([STAFF_GROUP], ChatUpdated(type="chat.updated", chat=summary))
    return chat


# ---------------------------------------------------------------------------
# The patron's details
# ---------------------------------------------------------------------------

# Markup or an address in a name is someone testing the console, not a name.
_NOT_A_NAME = re.compile(r"[<>]|://|\bjavascript:", re.IGNORECASE)
# Nor are markup and quotes in an address that a librarian will copy into a mail client.
_NOT_AN_EMAIL = re.compile(r"[<>\"'`()\\,;]")


def clean_patron_name(value: object) -> str:
    """A name given during a chat: one line of plain text, up to ``MAX_NAME_CHARS``; "" when
    blank. Markup (``<`` or ``>``) and addresses are refused with ``invalid``."""
    name = clean_text(
        value, field="name", max_chars=settings.REFDESK["MAX_NAME_CHARS"], multiline=False
    )
    if _NOT_A_NAME.search(name):
        raise ActionError(
            "invalid", "A name is plain text, without < > or a web address.", field="name"
        )
    return name


def check_set_patron_details(
    chat_id: int, *, acting_librarian: Librarian, name: object = None, email: object = None
) -> Chat:
    """Record the name and email a patron gave during the chat (``chat.patron``).

    ``None`` leaves a field as it is; ``""`` forgets it. At least one must be given. Only
    the holder (or a supervisor) of a chat that has not ended may; validation comes first,
    so a refusal stores nothing.
    """
    if name is None and email is None:
        raise ActionError("invalid", "Give a name, an email, or both.", field="name")
    clean_name = None if name is None else clean_patron_name(name)
    clean_mail = None if email is None else clean_email(email)
    if clean_mail and _NOT_AN_EMAIL.search(clean_mail):
        raise ActionError("invalid", "That email address does not look right.", field="email")
    chat = access_chat(acting_librarian, chat_id, for_="edit")
    mine = chat.librarian_id == acting_librarian.pk
    return do_set_patron_details(
        chat,
        acting_librarian=acting_librarian,
        name=clean_name,
        email=clean_mail,
        holder=acting_librarian.pk if mine else None,
    )


def do_set_patron_details(
    chat: Chat,
    *,
    acting_librarian: Librarian | None,
    name: str | None = None,
    email: str | None = None,
    holder: int | None = None,
) -> Chat:
    """Store the patron's ``name`` and/or ``email`` (``None``: unchanged) on a chat that has
    not ended; with ``holder``, only while that librarian still holds it
    (``ActionError("not_yours")`` otherwise, and nothing changes).

    A change writes a ``chat.updated`` ``ChatEvent`` and broadcasts ``chat.updated`` to the
    staff group; the same details again change nothing and send nothing. The patron's
    later lines carry the new name.
    """
    fields: dict[str, str] = {}
    if name is not None and name != chat.patron_name:
        fields["patron_name"] = name
    if email is not None and email != chat.patron_email:
        fields["patron_email"] = email
    with transaction.atomic():
        open_chat = Chat.objects.filter(pk=chat.pk).exclude(state=ChatState.ENDED)
        if holder is not None:
            open_chat = open_chat.filter(librarian_id=holder)
        changed = open_chat.update(**fields) if fields else open_chat.exists()
        fresh = get_chat_for_staff(chat.pk)
        if not changed or fresh is None:
            if fresh is None or fresh.state == ChatState.ENDED:
                raise ActionError("chat_ended", "That chat has ended.", chat_id=chat.pk)
            raise ActionError(
                "not_yours", "The chat changed hands; it is not yours to change.", chat_id=chat.pk
            )
        if not fields:
            return fresh
        summary = chat_summary(fresh)
        # Kept for the record; chat.updated itself is not a resume point.
        _record_event(
            fresh,
            "chat.updated",
            {"chat": summary, "fields": sorted(fields)},
            actor=acting_librarian,
        )
        send_event_on_commit([STAFF_GROUP], ChatUpdated(type="chat.updated", chat=summary))
    return fresh


# ---------------------------------------------------------------------------
# Each waiting patron's place in the queue
# ---------------------------------------------------------------------------


def do_publish_queue_positions(*, after_event: int) -> int:
    """Tell each waiting patron of every queue that changed since ``after_event`` (a chat
    claimed, ended, dismissed or sent back to it) their place in it: ``queue.position`` to
    the chat's group. Returns the newest event id, the next ``after_event``.

    Writes nothing; sending a place twice (two processes, a restart) is harmless.
    """
    newest, campus_ids = list_campuses_with_queue_changes(after_event)
    if campus_ids:
        places = list_queue_places(campus_ids)
        send_events_on_commit(
            [
                (
                    [chat_group(chat_id)],
                    QueuePositionEvent(type="queue.position", chat_id=chat_id, position=place),
                    FOR_PATRON,
                )
                for chat_id, place in places.items()
            ]
        )
    return newest


# ---------------------------------------------------------------------------
# Dismissing a flood from the queue
# ---------------------------------------------------------------------------

# One frame's worth of chats: a supervisor clears a flood a screenful or two at a time.
MAX_DISMISS_IDS = 200
MAX_DISMISS_NOTE_CHARS = 200
_MAX_ID = 2**62


def clean_chat_ids(value: object, *, limit: int = MAX_DISMISS_IDS) -> list[int]:
    """A frame's list of chat ids: 1 to ``limit`` positive whole numbers; repeats dropped,
    the order kept. Anything else is ``ActionError("invalid", field="chat_ids")``."""
    if not isinstance(value, list) or not value:
        raise ActionError("invalid", "chat_ids must be a list of chat ids.", field="chat_ids")
    if len(value) > limit:
        raise ActionError(
            "invalid", f"At most {limit} chats at a time.", field="chat_ids", limit=limit
        )
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= _MAX_ID:
            raise ActionError(
                "invalid", "chat_ids must hold positive whole numbers.", field="chat_ids"
            )
    return list(dict.fromkeys(value))


def check_dismiss_chats(
    chat_ids: object, *, acting_librarian: Librarian, reason: object = None
) -> tuple[list[int], list[int]]:
    """A supervisor's or admin's dismissal of spam chats from the queues (``chat.dismiss``).

    Refuses anyone else with ``forbidden`` before looking at the fields; then validates the
    ids (see :func:`clean_chat_ids`) and the optional note (``reason``: one line of up to
    200 characters). Returns :func:`do_dismiss_chats`'s (dismissed, skipped).
    """
    if not acting_librarian.is_supervisor:
        raise ActionError("forbidden", "Only a supervisor or an admin can dismiss chats.")
    ids = clean_chat_ids(chat_ids)
    note = clean_text(reason, field="reason", max_chars=MAX_DISMISS_NOTE_CHARS, multiline=False)
    return do_dismiss_chats(ids, acting_librarian=acting_librarian, note=note)


_DISMISS = (
    "UPDATE {table} SET state = %s, end_reason = %s, ended_at = %s, last_seq = last_seq + 1 "
    "WHERE state = %s AND id IN ({ids}) RETURNING id"
)


def do_dismiss_chats(
    chat_ids: list[int], *, acting_librarian: Librarian, note: str = ""
) -> tuple[list[int], list[int]]:
    """End every listed chat that is still waiting, with reason ``dismissed``; skip the rest
    (claimed, ended, or no such chat). Returns (dismissed ids, skipped ids) in the given order.

    One transaction, whatever the number of chats: one conditional UPDATE (``WHERE state =
    'waiting'``) decides, so a claim racing the dismissal of a chat has one winner; then, for
    each dismissed chat, what :func:`do_end_chat` writes (a system message, "The chat has
    ended.", and a ``chat.ended`` ``ChatEvent`` with the supervisor as actor and the note,
    when given, in its data) in one INSERT per table. After the commit each chat's patron
    gets the system line and ``chat.ended`` (``reason: "dismissed"``), and the staff group
    ``chat.ended``, in the order ``do_end_chat`` sends them.
    """
    if not chat_ids:
        return [], []
    now = timezone.now()
    with transaction.atomic():
        # Only the model's table name and placeholders are formatted in; values are parameters.
        sql = _DISMISS.format(table=Chat._meta.db_table, ids=", ".join(["%s"] * len(chat_ids)))
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    ChatState.ENDED.value,
                    EndReason.DISMISSED.value,
                    connection.ops.adapt_datetimefield_value(now),
                    ChatState.WAITING.value,
                    *chat_ids,
                ],
            )
            ended = {row[0] for row in cursor.fetchall()}
        dismissed = [chat_id for chat_id in chat_ids if chat_id in ended]
        skipped = [chat_id for chat_id in chat_ids if chat_id not in ended]
        if not dismissed:
            return [], skipped
        chats = list_chats_for_staff(dismissed)
        lines = Message.objects.bulk_create(
            Message(
                chat=chats[chat_id],
                seq=chats[chat_id].last_seq,
                sender=Sender.SYSTEM,
                body=_end_line(EndReason.DISMISSED),
                created_at=now,
            )
            for chat_id in dismissed
        )
        reason: EndReasonName = "dismissed"
        payloads: list[dict[str, Any]] = [
            {"chat_id": chat_id, "reason": reason, "chat": chat_summary(chats[chat_id])}
            for chat_id in dismissed
        ]
        rows = ChatEvent.objects.bulk_create(
            ChatEvent(
                chat=chats[chat_id],
                type="chat.ended",
                actor=acting_librarian,
                data={**payload, "note": note} if note else payload,
                created_at=now,
            )
            for chat_id, payload in zip(dismissed, payloads, strict=True)
        )
        outgoing: list[tuple[list[str], Mapping[str, Any], Mapping[str, Any] | None]] = []
        for chat_id, line, payload, row in zip(dismissed, lines, payloads, rows, strict=True):
            patron = [chat_group(chat_id)]
            # A waiting chat has no holder: the line goes to the patron alone.
            outgoing.append((patron, message_payload(line), None))
            staff_event = StaffChatEnded(
                type="chat.ended",
                event_id=row.pk,
                chat_id=chat_id,
                reason=reason,
                chat=payload["chat"],
            )
            outgoing.append(([STAFF_GROUP], staff_event, None))
            patron_event = PatronChatEnded(type="chat.ended", chat_id=chat_id, reason=reason)
            outgoing.append((patron, patron_event, FOR_PATRON))
        send_events_on_commit(outgoing)
    return dismissed, skipped


# ---------------------------------------------------------------------------
# Nobody stranded: the chats of librarians who left
# ---------------------------------------------------------------------------


def do_return_chats_of_departed(librarian_id: int) -> int:
    """A librarian's grace period is over (:func:`accounts.actions.do_end_grace_periods`
    runs this in its transaction): put each chat they hold back to waiting in its campus's
    queue, as a transfer to that queue would (:func:`do_return_chat_to_queue`, reason
    ``departed``, or ``deactivated`` for an account switched off). It rings for that
    campus first, the patron reads that another librarian will pick up, and every console
    gets ``chat.transferred``. Each return is conditional on the holder, so an end or a
    transfer at the same moment wins or loses whole. Returns how many went back.

    Only a departure sends chats back: a librarian who never had a console open (chats
    made by a script, a test, the benchmark's setup) is not a departure.
    """
    active = Librarian.objects.filter(pk=librarian_id, user__is_active=True).exists()
    held = Chat.objects.filter(state=ChatState.ACTIVE, librarian_id=librarian_id).order_by("pk")
    returned = 0
    for chat_id, campus_id in held.values_list("pk", "campus_id"):
        try:
            do_return_chat_to_queue(
                chat_id,
                campus_id=campus_id,
                acting_librarian=None,
                reason="departed" if active else "deactivated",
                holder=librarian_id,
            )
        except ActionError:
            continue  # ended or moved meanwhile
        returned += 1
    return returned


# ---------------------------------------------------------------------------
# The patron's connection
# ---------------------------------------------------------------------------


def _patron_connection_event(chat_id: int, gone_at: dt.datetime | None) -> None:
    send_event_on_commit(
        [STAFF_GROUP],
        PatronConnectionEvent(
            type="patron.connection",
            chat_id=chat_id,
            here=gone_at is None,
            gone_since=gone_at.isoformat() if gone_at else None,
        ),
    )


def _fresh_patron_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.REFDESK["PRESENCE_TIMEOUT_SECONDS"])


def _mark_patrons_gone(chat_ids: set[int], *, now: dt.datetime) -> None:
    """The chats of ``chat_ids`` left without a fresh patron socket (anywhere) are marked
    gone now, each once (``… WHERE patron_gone_at IS NULL``), and every console told."""
    if not chat_ids:
        return
    fresh = _fresh_patron_since(now)
    gone = list(
        Chat.objects.filter(pk__in=chat_ids, patron_gone_at__isnull=True)
        .exclude(state=ChatState.ENDED)
        .exclude(patron_connections__seen_at__gte=fresh)
        .values_list("pk", flat=True)
    )
    for chat_id in sorted(gone):
        marked = (
            Chat.objects.filter(pk=chat_id, patron_gone_at__isnull=True)
            .exclude(patron_connections__seen_at__gte=fresh)
            .update(patron_gone_at=now)
        )
        if marked:
            _patron_connection_event(chat_id, now)


def do_open_patron_socket(chat_id: int, *, channel_name: str, process: str) -> None:
    """Record an open patron socket of a waiting or active chat. A patron who was gone is
    here again: ``patron_gone_at`` is cleared and every console gets ``patron.connection``
    (``here: true``). Another tab of a patron who is here changes nothing anyone sees."""
    now = timezone.now()
    with transaction.atomic():
        PatronConnection.objects.bulk_create(
            [
                PatronConnection(
                    chat_id=chat_id, channel_name=channel_name, process=process, seen_at=now
                )
            ],
            update_conflicts=True,
            unique_fields=["channel_name"],
            update_fields=["chat", "process", "seen_at"],
        )
        back = (
            Chat.objects.filter(pk=chat_id, patron_gone_at__isnull=False)
            .exclude(state=ChatState.ENDED)
            .update(patron_gone_at=None)
        )
        if back:
            _patron_connection_event(chat_id, None)


def do_close_patron_socket(chat_id: int, *, channel_name: str) -> None:
    """Forget a closed patron socket. When it was the chat's last (in any process), the
    patron is gone from now: ``patron_gone_at`` is set and every console gets
    ``patron.connection`` (``here: false``)."""
    now = timezone.now()
    with transaction.atomic():
        deleted, _ = PatronConnection.objects.filter(channel_name=channel_name).delete()
        if deleted:
            _mark_patrons_gone({chat_id}, now=now)


def do_touch_patron_sockets(process: str) -> int:
    """Mark every patron socket this process holds as alive; returns how many."""
    return PatronConnection.objects.filter(process=process).update(seen_at=timezone.now())


def do_sweep_stale_patron_sockets() -> int:
    """Remove the patron sockets of processes that stopped touching them (a crash, a kill);
    their chats left with none are marked gone, as when the patron closes the tab. Rows of
    chats that ended go too. Idempotent: any number of processes may sweep at once;
    returns how many sockets it removed.

    A chat whose patron never opened a socket is left alone: chats made by a script (the
    benchmark's setup, a flood in a test) have no patron to lose."""
    now = timezone.now()
    fresh = _fresh_patron_since(now)
    with transaction.atomic():
        stale = list(
            PatronConnection.objects.filter(
                Q(seen_at__lt=fresh) | Q(chat__state=ChatState.ENDED)
            ).values_list("pk", "chat_id")
        )
        if not stale:
            return 0
        PatronConnection.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        _mark_patrons_gone({chat_id for _, chat_id in stale}, now=now)
    return len(stale)


def do_end_chats_patron_gone(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """End the waiting chats whose patron has been gone ``PATRON_GONE_MINUTES`` as
    ``patron_left``, as :func:`do_end_chat` ends a chat (the line, ``chat.ended`` to the
    patron's sockets, should one come back, and to every console). Each end is conditional
    on the chat still waiting and its patron still gone since before the cutoff, so a
    claim or a patron coming back at the same moment wins or loses whole. Returns how
    many ended."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(minutes=settings.REFDESK["PATRON_GONE_MINUTES"])
    gone = Q(state=ChatState.WAITING, patron_gone_at__lte=cutoff)
    ended = 0
    for chat in (
        Chat.objects.select_related("campus", "librarian").filter(gone).order_by("pk")[:batch]
    ):
        try:
            do_end_chat(chat, reason=EndReason.PATRON_LEFT, where=gone)
        except ActionError:
            continue  # claimed, ended or back meanwhile
        ended += 1
    return ended


# ---------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    chats: int
    messages: int


def do_end_abandoned_chats(
    *, now: dt.datetime | None = None, batch: int = 100, rounds: int | None = None
) -> int:
    """End the chats still waiting or active that were started over
    ``RETENTION_OPEN_DAYS`` ago (nobody answered, or nobody ended them), so that the purge
    can take them: a waiting one as ``unanswered``, an active one as ``idle``.

    Each ends as :func:`do_end_chat` ends a chat (system line, ``chat.ended`` to the
    patron and the staff group). At most ``rounds`` batches (all, by default). Returns how
    many it ended; idempotent.
    """
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_OPEN_DAYS"])
    ended = 0
    for _round in itertools.count() if rounds is None else range(rounds):
        stale = list(
            Chat.objects.select_related("campus", "librarian")
            .filter(created_at__lt=cutoff)
            .exclude(state=ChatState.ENDED)
            .order_by("pk")[:batch]
        )
        if not stale:
            break
        for chat in stale:
            reason = EndReason.UNANSWERED if chat.state == ChatState.WAITING else EndReason.IDLE
            try:
                do_end_chat(chat, reason=reason)
            except ActionError:
                continue  # ended meanwhile
            ended += 1
    return ended


def do_purge_expired_chats(
    *, now: dt.datetime | None = None, batch: int = 500, rounds: int | None = None
) -> PurgeResult:
    """Remove what identifies patrons from chats that ended over the retention period ago,
    and from chats started over ``RETENTION_OPEN_DAYS`` ago that never ended (which it
    ends first, see :func:`do_end_abandoned_chats`).

    Blanks the patron's name, email, question, page, browser and hashed address, the
    text and sender names of every message, and the details in the chat's events, and
    deletes its internal notes; the
    token stops opening the chat. Keeps the anonymous facts the statistics use: campus,
    times, states, end reasons, who answered, and how many messages each side sent and
    when. Idempotent; works in batches of ``batch`` chats, at most ``rounds`` of them (all,
    by default), so that a long backlog never holds the writer long.
    """
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.REFDESK["RETENTION_DAYS"])
    started_before = moment - dt.timedelta(days=settings.REFDESK["RETENTION_OPEN_DAYS"])
    do_end_abandoned_chats(now=moment, rounds=rounds)
    chats = messages = 0
    for _round in itertools.count() if rounds is None else range(rounds):
        with transaction.atomic():
            ids = list(
                Chat.objects.filter(
                    Q(ended_at__lt=cutoff) | Q(created_at__lt=started_before),
                    state=ChatState.ENDED,
                    purged_at__isnull=True,
                ).values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return PurgeResult(chats, messages)
            chats += Chat.objects.filter(pk__in=ids).update(
                patron_name="",
                patron_email="",
                question="",
                page_url="",
                browser="",
                ip_hash="",
                browser_hash="",
                token_hash=Concat(Value("purged-"), Cast("id", CharField())),
                flag="",
                purged_at=moment,
            )
            messages += Message.objects.filter(chat_id__in=ids).update(
                body="", sender_name="", client_id=None, flag=""
            )
            ChatEvent.objects.filter(chat_id__in=ids).update(data={})
            # Internal notes are staff text about the patron: gone with the chat's text.
            ChatNote.objects.filter(chat_id__in=ids).delete()
    return PurgeResult(chats, messages)


# ---------------------------------------------------------------------------
# Timers of a waiting chat: its campus first, then a ticket offer
# ---------------------------------------------------------------------------


def _system_line(
    chat_id: int, body: str, now: dt.datetime, *, automatic: bool = False
) -> tuple[Chat, MessageEvent]:
    """Add a system line to a chat (both sides see it); the chat after it, and the line."""
    Chat.objects.filter(pk=chat_id).update(last_seq=F("last_seq") + 1)
    chat = get_chat_for_staff(chat_id)
    assert chat is not None  # noqa: S101 - the caller changed this row in its transaction
    line = Message.objects.create(
        chat=chat,
        seq=chat.last_seq,
        sender=Sender.SYSTEM,
        body=body,
        created_at=now,
        automatic=automatic,
    )
    return chat, message_payload(line)


def _fire_due_timers(
    *, due: str, fired: str, moment: dt.datetime, batch: int, fire: Callable[[int], None]
) -> int:
    """Each waiting chat whose stored time ``due`` has passed by ``moment`` and whose
    ``fired`` is still null: set ``fired`` by one conditional update, and for the winner
    only, ``fire(chat_id)`` in the same transaction. Returns how many fired; however many
    processes run this at once, each timer fires once."""
    pending = {"state": ChatState.WAITING, f"{fired}__isnull": True, f"{due}__lte": moment}
    ids = list(Chat.objects.filter(**pending).order_by(due).values_list("pk", flat=True)[:batch])
    count = 0
    for chat_id in ids:
        with transaction.atomic():
            if Chat.objects.filter(pk=chat_id, **pending).update(**{fired: moment}):
                fire(chat_id)
                count += 1
    return count


def do_close_home_windows(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Close the home-campus window of each waiting chat whose ``home_until`` has passed:
    from now on it rings for every librarian. Sends ``chat.updated`` to every console for
    each chat it closed; returns how many. Each chat is closed once, by one conditional
    update, however many processes run this at once."""

    def closed(chat_id: int) -> None:
        chat = get_chat_for_staff(chat_id)
        assert chat is not None  # noqa: S101 - just updated
        send_event_on_commit(
            [STAFF_GROUP], ChatUpdated(type="chat.updated", chat=chat_summary(chat))
        )

    return _fire_due_timers(
        due="home_until",
        fired="home_ended_at",
        moment=now or timezone.now(),
        batch=batch,
        fire=closed,
    )


def do_offer_tickets(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Offer a ticket to the patron of each chat still waiting at its ``ticket_offer_at``:
    sends ``chat.ticket_offer`` to the patron's sockets, once per wait (a chat that goes
    back to a queue gets a new offer time). Returns how many were offered."""

    def offered(chat_id: int) -> None:
        send_event_on_commit(
            [chat_group(chat_id)],
            TicketOffer(type="chat.ticket_offer", chat_id=chat_id),
            meta=FOR_PATRON,
        )

    return _fire_due_timers(
        due="ticket_offer_at",
        fired="ticket_offered_at",
        moment=now or timezone.now(),
        batch=batch,
        fire=offered,
    )


# ---------------------------------------------------------------------------
# Transfers: to a librarian (an offer they accept or decline), or to a campus's queue
# ---------------------------------------------------------------------------


def _holds(chat: Chat, librarian: Librarian) -> None:
    if chat.state == ChatState.ENDED:
        raise ActionError("chat_ended", "That chat has ended.", chat_id=chat.pk)
    if chat.state != ChatState.ACTIVE or chat.librarian_id != librarian.pk:
        raise ActionError("not_yours", "You can only transfer a chat you hold.", chat_id=chat.pk)


def _held_by(chats: QuerySet[Chat], librarian_id: int | None) -> QuerySet[Chat]:
    if librarian_id is None:
        return chats.filter(librarian__isnull=True)
    return chats.filter(librarian_id=librarian_id)


def do_return_chat_to_queue(
    chat_id: int,
    *,
    campus_id: int,
    acting_librarian: Librarian | None,
    reason: TransferReason,
    holder: int | None = None,
) -> Chat:
    """Put an active chat back to waiting in campus ``campus_id``'s queue, ringing for that
    campus first (its timers start again), with a line that tells the patron why.

    ``reason``: ``transfer`` (the holder chose the queue), ``departed`` (the holder went
    offline and the grace period passed) or ``deactivated``. With ``holder``, only while
    that librarian still holds it (``not_yours`` otherwise). Any pending transfer offer is
    withdrawn. Sends ``chat.transferred`` (``to: null``) to every console and to the
    patron, and writes its ``ChatEvent``.
    """
    now = timezone.now()
    campus = Campus.objects.filter(pk=campus_id).first()
    if campus is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="to_campus")
    with transaction.atomic():
        before = get_chat_for_staff(chat_id)
        if before is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        # Conditional on the holder: the one named, or the one read just now.
        active = _held_by(
            Chat.objects.filter(pk=chat_id, state=ChatState.ACTIVE),
            holder if holder is not None else before.librarian_id,
        )
        moved = active.update(
            state=ChatState.WAITING,
            librarian=None,
            claimed_at=None,
            campus=campus,
            offer_to=None,
            offer_from=None,
            offer_expires_at=None,
            **waiting_timers(now),
        )
        if not moved:
            if before.state == ChatState.ENDED:
                raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
            raise ActionError("not_yours", "That chat is not yours to transfer.", chat_id=chat_id)
        who = before.librarian.display_name if before.librarian else "The librarian"
        line = {
            "transfer": f"{who} transferred the chat to the {campus.name} queue. "
            "A librarian there will be with you shortly.",
            "departed": f"{who} had to leave. Another librarian will pick up your chat shortly.",
            "deactivated": f"{who} is no longer available. Another librarian will pick up "
            "your chat shortly.",
        }[reason]
        chat, payload = _system_line(chat_id, line, now)
        send_event_on_commit([chat_group(chat_id), STAFF_GROUP], payload)
        summary = chat_summary(chat)
        data: dict[str, Any] = {
            "chat_id": chat_id,
            "from": before.librarian.display_name if before.librarian else None,
            "from_id": before.librarian_id,
            "to": None,
            "to_id": None,
            "to_campus": campus.slug,
            "reason": reason,
            "chat": summary,
        }
        event_id = _record_event(chat, "chat.transferred", data, actor=acting_librarian)
        staff_event: StaffChatTransferred = {
            "type": "chat.transferred",
            "event_id": event_id,
            "chat_id": chat_id,
            "from": data["from"],
            "from_id": data["from_id"],
            "to": None,
            "to_id": None,
            "to_campus": campus.slug,
            "reason": reason,
            "chat": summary,
        }
        send_event_on_commit([STAFF_GROUP], staff_event)
        send_event_on_commit(
            [chat_group(chat_id)],
            PatronChatTransferred(
                type="chat.transferred", chat_id=chat_id, to=None, campus_name=campus.name
            ),
            meta=for_patron({"librarian_id": None, "state": ChatState.WAITING}),
        )
        if before.librarian_id is not None:
            # The holder has one active chat fewer.
            do_broadcast_presence(before.librarian_id)
    return chat


@dataclass(frozen=True)
class Offer:
    chat: Chat
    to: Librarian
    expires_at: dt.datetime


def do_offer_transfer(chat_id: int, *, acting_librarian: Librarian, to_librarian_id: int) -> Offer:
    """Offer a chat the acting librarian holds to another online librarian, who has
    ``TRANSFER_OFFER_SECONDS`` to accept it. One offer at a time per chat.

    Sends ``chat.transfer.offered`` (with the conversation so far) to the target's
    consoles and ``chat.updated`` to the holder's; writes a ``ChatEvent``.
    """
    if to_librarian_id == acting_librarian.pk:
        raise ActionError("transfer_to_self", "You already hold this chat.", chat_id=chat_id)
    target = (
        Librarian.objects.select_related("home_campus")
        .filter(pk=to_librarian_id, user__is_active=True)
        .first()
    )
    if target is None:
        raise ActionError("unknown_librarian", "There is no such librarian.", field="to_librarian")
    if not is_operator(target.pk):
        raise ActionError(
            "not_online",
            f"{target.display_name} is not online; choose someone who is, or a queue.",
            chat_id=chat_id,
        )
    now = timezone.now()
    expires = now + dt.timedelta(seconds=settings.REFDESK["TRANSFER_OFFER_SECONDS"])
    with transaction.atomic():
        offered = (
            Chat.objects.filter(pk=chat_id, state=ChatState.ACTIVE, librarian=acting_librarian)
            .filter(Q(offer_expires_at__isnull=True) | Q(offer_expires_at__lte=now))
            .update(offer_to=target, offer_from=acting_librarian, offer_expires_at=expires)
        )
        chat = get_chat_for_staff(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if not offered:
            _holds(chat, acting_librarian)
            raise ActionError(
                "offer_pending",
                "This chat is already offered to someone; wait for their answer.",
                chat_id=chat_id,
            )
        data = {
            "chat_id": chat_id,
            "from": acting_librarian.display_name,
            "from_id": acting_librarian.pk,
            "to": target.display_name,
            "to_id": target.pk,
            "expires_at": expires.isoformat(),
        }
        _record_event(chat, "chat.transfer.offered", data, actor=acting_librarian)
        summary = chat_summary(chat)
        offer: TransferOffered = {
            "type": "chat.transfer.offered",
            "chat_id": chat_id,
            "from": acting_librarian.display_name,
            "from_id": acting_librarian.pk,
            "expires_at": expires.isoformat(),
            "chat": with_messages(chat, list_messages_json([chat_id])[chat_id]),
        }
        send_event_on_commit([librarian_group(target.pk)], offer)
        send_event_on_commit(
            [librarian_group(acting_librarian.pk)],
            ChatUpdated(type="chat.updated", chat=summary),
        )
    return Offer(chat, target, expires)


def do_accept_transfer(chat_id: int, *, acting_librarian: Librarian) -> Chat:
    """The librarian a transfer was offered to takes the chat, while the offer stands and
    the chat is still active: one conditional update, so an accept that races the patron
    leaving, the offer expiring or a second transfer has one outcome.

    The old holder can no longer send in it. Sends ``chat.transferred`` to every console
    and to the patron (the new librarian's name), with a line both sides see.
    """
    now = timezone.now()
    with transaction.atomic():
        before = get_chat_for_staff(chat_id)
        if before is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        taken = _held_by(
            Chat.objects.filter(
                pk=chat_id,
                state=ChatState.ACTIVE,
                offer_to=acting_librarian,
                offer_expires_at__gt=now,
            ),
            before.librarian_id,
        ).update(
            librarian=acting_librarian,
            claimed_at=now,
            offer_to=None,
            offer_from=None,
            offer_expires_at=None,
        )
        if not taken:
            raise _no_offer(before, acting_librarian, now)
        sender_name = before.librarian.display_name if before.librarian else "A librarian"
        chat = _announce_hand_over(
            before,
            acting_librarian,
            reason="transfer",
            line=f"{sender_name} transferred the chat to {acting_librarian.display_name}.",
            now=now,
        )
    return chat


def _announce_hand_over(
    before: Chat, to: Librarian, *, reason: TransferReason, line: str, now: dt.datetime
) -> Chat:
    """What a chat changing hands (``before`` is the chat as it was) tells everyone, in the
    caller's transaction: a line both sides see, a ``chat.transferred`` ``ChatEvent`` and
    its event to every console, the patron's ``chat.transferred`` (the new librarian's
    name), and both librarians' ``presence`` (their numbers of active chats)."""
    chat_id = before.pk
    sender = before.librarian
    chat, payload = _system_line(chat_id, line, now)
    groups = [chat_group(chat_id), librarian_group(to.pk)]
    if sender is not None:
        groups.append(librarian_group(sender.pk))
    send_event_on_commit(groups, payload)
    summary = chat_summary(chat)
    data: dict[str, Any] = {
        "chat_id": chat_id,
        "from": sender.display_name if sender else None,
        "from_id": sender.pk if sender else None,
        "to": to.display_name,
        "to_id": to.pk,
        "to_campus": None,
        "reason": reason,
        "chat": summary,
    }
    event_id = _record_event(chat, "chat.transferred", data, actor=to)
    staff_event: StaffChatTransferred = {
        "type": "chat.transferred",
        "event_id": event_id,
        "chat_id": chat_id,
        "from": data["from"],
        "from_id": data["from_id"],
        "to": to.display_name,
        "to_id": to.pk,
        "to_campus": None,
        "reason": reason,
        "chat": summary,
    }
    send_event_on_commit([STAFF_GROUP], staff_event)
    send_event_on_commit(
        [chat_group(chat_id)],
        PatronChatTransferred(
            type="chat.transferred",
            chat_id=chat_id,
            to=to.display_name,
            campus_name=chat.campus.name,
        ),
        meta=for_patron({"librarian_id": to.pk, "state": ChatState.ACTIVE}),
    )
    if sender is not None:
        do_broadcast_presence(sender.pk)
    do_broadcast_presence(to.pk)
    return chat


def do_take_over_chat(chat_id: int, *, acting_librarian: Librarian) -> Chat:
    """A supervisor takes an active chat from whoever holds it, at any time (a librarian
    who cannot go on, a chat that needs a senior hand). Any pending transfer offer is
    withdrawn.

    One conditional update on the holder read just before (``… WHERE state = 'active' AND
    librarian_id = <holder>``): if the chat ended or changed hands meanwhile, nothing
    changes and ``chat_ended`` or ``not_yours`` says why; taking one's own chat is
    ``invalid``. The old holder can no longer send in it. Sends ``chat.transferred``
    (``reason: "taken_over"``) to every console and to the patron, with a line both sides
    see ("Dee took over the chat from Ana."), and writes its ``ChatEvent``. The caller
    checks the role.
    """
    now = timezone.now()
    with transaction.atomic():
        before = get_chat_for_staff(chat_id)
        if before is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if before.state != ChatState.ACTIVE:
            if before.state == ChatState.ENDED:
                raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
            raise ActionError("invalid", "That chat is waiting: claim it instead.", chat_id=chat_id)
        if before.librarian_id == acting_librarian.pk:
            raise ActionError("invalid", "That chat is already yours.", chat_id=chat_id)
        taken = _held_by(
            Chat.objects.filter(pk=chat_id, state=ChatState.ACTIVE), before.librarian_id
        ).update(
            librarian=acting_librarian,
            claimed_at=now,
            offer_to=None,
            offer_from=None,
            offer_expires_at=None,
        )
        if not taken:
            state = Chat.objects.filter(pk=chat_id).values_list("state", flat=True).first()
            if state == ChatState.ENDED:
                raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
            raise ActionError(
                "not_yours", "The chat changed hands meanwhile; look again.", chat_id=chat_id
            )
        holder = before.librarian.display_name if before.librarian else "another librarian"
        return _announce_hand_over(
            before,
            acting_librarian,
            reason="taken_over",
            line=f"{acting_librarian.display_name} took over the chat from {holder}.",
            now=now,
        )


def _no_offer(chat: Chat, librarian: Librarian, now: dt.datetime) -> ActionError:
    """Why an accept or a decline changed nothing, read after the conditional update."""
    current = (
        Chat.objects.filter(pk=chat.pk)
        .values_list("state", "offer_to_id", "offer_expires_at")
        .first()
    )
    state, offer_to, expires = current if current else (ChatState.ENDED, None, None)
    if state == ChatState.ENDED:
        return ActionError("chat_ended", "That chat has ended.", chat_id=chat.pk)
    if offer_to != librarian.pk:
        return ActionError("no_offer", "That chat is not being offered to you.", chat_id=chat.pk)
    if expires is not None and expires <= now:
        return ActionError("offer_expired", "That offer has expired.", chat_id=chat.pk)
    return ActionError("no_offer", "That chat is not being offered to you.", chat_id=chat.pk)


def _withdraw_offer(
    chat_id: int, *, target: Librarian, reason: DeclineReason, now: dt.datetime
) -> bool:
    """Clear a pending offer to ``target`` (declined, or expired by ``now``) and tell the
    holder and the target; whether this call was the one that cleared it."""
    sender_id = (
        Chat.objects.filter(pk=chat_id, offer_to=target).values_list("offer_from_id", flat=True)
    ).first()
    pending = Chat.objects.filter(pk=chat_id, state=ChatState.ACTIVE, offer_to=target)
    if reason == "expired":
        pending = pending.filter(offer_expires_at__lte=now)
    else:
        pending = pending.filter(offer_expires_at__gt=now)
    if not pending.update(offer_to=None, offer_from=None, offer_expires_at=None):
        return False
    chat = get_chat_for_staff(chat_id)
    assert chat is not None  # noqa: S101 - just updated
    _record_event(
        chat,
        "chat.transfer.declined",
        {"chat_id": chat_id, "by": target.display_name, "reason": reason},
        actor=target,
    )
    groups = [librarian_group(target.pk)]
    if sender_id is not None:
        groups.insert(0, librarian_group(sender_id))
    send_event_on_commit(
        groups,
        TransferDeclined(
            type="chat.transfer.declined",
            chat_id=chat_id,
            by=target.display_name,
            by_id=target.pk,
            reason=reason,
            chat=chat_summary(chat),
        ),
    )
    return True


def do_decline_transfer(chat_id: int, *, acting_librarian: Librarian) -> Chat:
    """The target turns a transfer down: the chat stays with its holder, who is told who
    declined (``chat.transfer.declined`` to the holder's and the target's consoles)."""
    now = timezone.now()
    with transaction.atomic():
        chat = get_chat_for_staff(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if not _withdraw_offer(chat_id, target=acting_librarian, reason="declined", now=now):
            raise _no_offer(chat, acting_librarian, now)
    return chat


def do_expire_transfer_offers(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """End each transfer offer nobody answered by its ``offer_expires_at``: the chat stays
    with its holder, who is told nobody answered. Returns how many expired."""
    moment = now or timezone.now()
    due = list(
        Chat.objects.filter(
            state=ChatState.ACTIVE, offer_to__isnull=False, offer_expires_at__lte=moment
        )
        .select_related("offer_to")
        .order_by("offer_expires_at")[:batch]
    )
    expired = 0
    for chat in due:
        if chat.offer_to is None:
            continue
        with transaction.atomic():
            if _withdraw_offer(chat.pk, target=chat.offer_to, reason="expired", now=moment):
                expired += 1
    return expired


# ---------------------------------------------------------------------------
# Timers of an active chat: no dead air, silent patrons
# ---------------------------------------------------------------------------

STILL_THERE_LINE = "Are you still there? Without a reply, this chat will end in {minutes}."


def _minutes_text(minutes: float) -> str:
    whole = round(minutes)
    if abs(minutes - whole) > 1e-9:  # noqa: PLR2004 - a fraction of a minute
        return f"{round(minutes * 60)} seconds"
    return "1 minute" if whole == 1 else f"{whole} minutes"


def do_alert_dead_air(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Alert the holder of each active chat whose patron's message has waited
    ``DEAD_AIR_RED_SECONDS`` for a reply: sends ``alert {chat_id, kind: "dead_air", since}``
    to the holder's consoles and writes a ``chat.dead_air`` ``ChatEvent`` (the reports
    count them). Once per stretch of waiting: one conditional update sets
    ``dead_air_alerted_at``, so however many processes run this, one alert is sent, and a
    new stretch (after a reply) may alert again. Returns how many were alerted."""
    moment = now or timezone.now()
    red = moment - dt.timedelta(seconds=settings.REFDESK["DEAD_AIR_RED_SECONDS"])
    due = Q(state=ChatState.ACTIVE, librarian__isnull=False, patron_waiting_since__lte=red) & (
        Q(dead_air_alerted_at__isnull=True) | Q(dead_air_alerted_at__lt=F("patron_waiting_since"))
    )
    ids = list(
        Chat.objects.filter(due)
        .order_by("patron_waiting_since")
        .values_list("pk", flat=True)[:batch]
    )
    count = 0
    for chat_id in ids:
        with transaction.atomic():
            if not Chat.objects.filter(due, pk=chat_id).update(dead_air_alerted_at=moment):
                continue
            since, librarian_id = Chat.objects.values_list(
                "patron_waiting_since", "librarian_id"
            ).get(pk=chat_id)
            since_text = (since or moment).isoformat()
            ChatEvent.objects.create(
                chat_id=chat_id,
                type="chat.dead_air",
                actor_id=librarian_id,
                data={"chat_id": chat_id, "since": since_text},
                created_at=moment,
            )
            send_event_on_commit(
                [librarian_group(librarian_id)],
                DeadAirAlert(type="alert", chat_id=chat_id, kind="dead_air", since=since_text),
            )
            count += 1
    return count


def do_alert_silent_patrons(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Move each active chat whose patron has gone silent to its next stage.

    ``ask``: the patron has not answered the librarian's latest message for
    ``SILENT_PATRON_MINUTES``; ``silent_asked_at`` is set. ``end``: no answer
    ``SILENT_PATRON_END_MINUTES`` after that; ``silent_end_at`` is set. Each stage is one
    conditional update, so it happens once per silence however many processes run this
    (a patron's message starts over). For each stage a ``chat.silent_patron`` ``ChatEvent``
    (``{chat_id, stage, since}``) is written and ``alert {chat_id, kind: "silent_patron",
    stage, since}`` is sent to the holder's consoles.

    With ``SILENT_PATRON_AUTO`` the server acts too: at ``ask`` it adds the system line
    "Are you still there? …" (both sides see it, from the desk rather than the librarian);
    at ``end`` it ends the chat ``idle`` (see :func:`do_end_chat`; the transcript is kept)
    instead of alerting. Returns how many stages were reached.
    """
    desk = settings.REFDESK
    moment = now or timezone.now()
    asked_before = moment - dt.timedelta(minutes=desk["SILENT_PATRON_MINUTES"])
    end_before = moment - dt.timedelta(minutes=desk["SILENT_PATRON_END_MINUTES"])
    active = Q(state=ChatState.ACTIVE, librarian__isnull=False)
    stages: list[tuple[SilentStage, Q]] = [
        (
            "ask",
            active & Q(patron_silent_since__lte=asked_before, silent_asked_at__isnull=True),
        ),
        ("end", active & Q(silent_asked_at__lte=end_before, silent_end_at__isnull=True)),
    ]
    count = 0
    for stage, due in stages:
        ids = list(Chat.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:batch])
        for chat_id in ids:
            if stage == "end" and desk["SILENT_PATRON_AUTO"]:
                count += _end_silent_chat(chat_id, due)
                continue
            with transaction.atomic():
                field = "silent_asked_at" if stage == "ask" else "silent_end_at"
                if not Chat.objects.filter(due, pk=chat_id).update(**{field: moment}):
                    continue
                _silent_stage_reached(chat_id, stage, moment)
                count += 1
    return count


def _silent_stage_reached(chat_id: int, stage: SilentStage, moment: dt.datetime) -> None:
    """Record and announce a stage of a silence (inside the caller's transaction)."""
    since, asked, librarian_id = Chat.objects.values_list(
        "patron_silent_since", "silent_asked_at", "librarian_id"
    ).get(pk=chat_id)
    since_text = (since or asked or moment).isoformat()
    ChatEvent.objects.create(
        chat_id=chat_id,
        type="chat.silent_patron",
        actor_id=librarian_id,
        data={"chat_id": chat_id, "stage": stage, "since": since_text},
        created_at=moment,
    )
    send_event_on_commit(
        [librarian_group(librarian_id)],
        SilentPatronAlert(
            type="alert", chat_id=chat_id, kind="silent_patron", stage=stage, since=since_text
        ),
    )
    if stage == "ask" and settings.REFDESK["SILENT_PATRON_AUTO"]:
        minutes = _minutes_text(settings.REFDESK["SILENT_PATRON_END_MINUTES"])
        _, line = _system_line(chat_id, STILL_THERE_LINE.format(minutes=minutes), moment)
        send_event_on_commit([chat_group(chat_id), librarian_group(librarian_id)], line)


def _end_silent_chat(chat_id: int, due: Q) -> int:
    """End a silent chat ``idle`` if it is still due (1), or leave it (0)."""
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        return 0
    try:
        do_end_chat(
            chat,
            reason=EndReason.IDLE,
            where=due,
            line="The chat has ended: no reply from the patron.",
        )
    except ActionError:
        return 0
    return 1


# ---------------------------------------------------------------------------
# The automatic hours answer to a waiting patron
# ---------------------------------------------------------------------------

# A waiting chat is answered about hours at most once in this many minutes: a patron who
# asks again straight away ("and sunday?") is answered too, one who repeats the question
# while waiting is not answered over and over.
HOURS_ANSWER_EVERY = dt.timedelta(minutes=5)


def do_answer_hours_question(
    chat_id: int, *, question: str, now: dt.datetime | None = None
) -> MessageEvent | None:
    """Answer a waiting patron's question about hours from the campus's hours; returns the
    answer's ``message`` event, or None when there is nothing to answer.

    Answers only when ``question`` asks about hours (``intake.hours_question``), the chat
    still waits, and it was not answered in the last ``HOURS_ANSWER_EVERY``: one
    conditional update on ``Chat.hours_answered_at`` decides, so that one answer is
    written however many processes try. The answer is a system line with
    ``automatic`` set, sent as ``message`` to the patron's chat group and the staff group;
    the chat stays in its queue with its timers as they were.
    """
    ask = ask_about_hours(question)
    if ask is None:
        return None
    moment = now or timezone.now()
    with transaction.atomic():
        won = (
            Chat.objects.filter(pk=chat_id, state=ChatState.WAITING)
            .filter(
                Q(hours_answered_at__isnull=True)
                | Q(hours_answered_at__lte=moment - HOURS_ANSWER_EVERY)
            )
            .update(hours_answered_at=moment)
        )
        if not won:
            return None
        campus = Chat.objects.select_related("campus").get(pk=chat_id).campus
        body = hours_answer(campus, ask, now=moment)
        _chat, line = _system_line(chat_id, body, moment, automatic=True)
        send_event_on_commit([chat_group(chat_id), STAFF_GROUP], line)
    return line


# ---------------------------------------------------------------------------
# The reference-interview card's questions
# ---------------------------------------------------------------------------

MAX_INTERVIEW_QUESTION_CHARS = 200


def clean_interview_question(text: object) -> str:
    """A question for the reference-interview card: one line of plain text, 1 to 200
    characters. Raises ``ActionError`` (``invalid`` or ``too_long``, field ``text``)."""
    return clean_text(
        text,
        field="text",
        max_chars=MAX_INTERVIEW_QUESTION_CHARS,
        required=True,
        multiline=False,
    )


def _audit_question(
    actor: AbstractBaseUser | None, action: str, question: InterviewQuestion, changes: Any
) -> None:
    do_record_audit(
        actor,
        action,
        target_type="interview_question",
        target_id=question.pk,
        target_repr=question.text,
        changes=changes,
    )


def do_add_interview_question(
    text: object, *, position: int = 0, actor: AbstractBaseUser | None = None
) -> InterviewQuestion:
    """Add a question to the reference-interview card; audited as
    ``interview_question.add``. Raises ``ActionError`` for text
    :func:`clean_interview_question` refuses. Consoles read the card when they connect."""
    clean = clean_interview_question(text)
    with transaction.atomic():
        question = InterviewQuestion.objects.create(text=clean, position=position)
        _audit_question(
            actor, "interview_question.add", question, {"text": clean, "position": position}
        )
    return question


def do_change_interview_question(
    question: InterviewQuestion,
    *,
    text: object,
    position: int,
    actor: AbstractBaseUser | None = None,
) -> bool:
    """Change a question's words or place; returns whether anything changed (audited as
    ``interview_question.change`` with before and after). Raises ``ActionError`` for text
    :func:`clean_interview_question` refuses."""
    clean = clean_interview_question(text)
    with transaction.atomic():
        current = InterviewQuestion.objects.select_for_update().get(pk=question.pk)
        changes = {
            key: [getattr(current, key), value]
            for key, value in (("text", clean), ("position", position))
            if getattr(current, key) != value
        }
        if not changes:
            return False
        InterviewQuestion.objects.filter(pk=question.pk).update(text=clean, position=position)
        question.text, question.position = clean, position
        _audit_question(actor, "interview_question.change", question, changes)
    return True


def do_delete_interview_question(
    question: InterviewQuestion, *, actor: AbstractBaseUser | None = None
) -> None:
    """Remove a question from the card; audited as ``interview_question.delete``."""
    with transaction.atomic():
        _audit_question(actor, "interview_question.delete", question, {"text": question.text})
        InterviewQuestion.objects.filter(pk=question.pk).delete()


def do_add_missing_interview_questions(
    texts: list[str], *, actor: AbstractBaseUser | None = None
) -> int:
    """Give a desk whose card is empty these questions, in this order; a desk that has any
    keeps its own. Returns how many were added."""
    with transaction.atomic():
        if InterviewQuestion.objects.exists():
            return 0
        for position, text in enumerate(texts):
            do_add_interview_question(text, position=position, actor=actor)
    return len(texts)


# ---------------------------------------------------------------------------
# Supervision: internal notes, joining a chat, alerting a supervisor
# ---------------------------------------------------------------------------

MAX_ALERT_NOTE_CHARS = 500


def clean_note_body(body: object) -> str:
    """An internal note: plain text, 1 to 4,000 characters after the cleaning of a
    message."""
    return clean_text(
        body, field="note", max_chars=settings.REFDESK["MAX_MESSAGE_CHARS"], required=True
    )


def check_add_chat_note(
    chat_id: int, *, acting_librarian: Librarian, body: object, client_id: object
) -> NoteEvent:
    """Validate a note's text and id, then :func:`do_add_chat_note`."""
    return do_add_chat_note(
        chat_id,
        acting_librarian=acting_librarian,
        body=clean_note_body(body),
        client_id=clean_client_id(client_id),
    )


def do_add_chat_note(
    chat_id: int, *, acting_librarian: Librarian, body: str, client_id: str = ""
) -> NoteEvent:
    """Store an internal note on an open chat by its holder, or by a supervisor or admin.

    Sends ``note`` to the holder's consoles and to the chat's watchers (``watch.<id>``),
    never to the patron. A resend with the same ``client_id`` is answered with the stored
    note and sent to nobody again. Raises ``not_found``, ``chat_ended``, ``not_yours``.
    """
    with transaction.atomic():
        chat = get_chat_for_staff(chat_id)
        if chat is None:
            raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
        if chat.state == ChatState.ENDED:
            raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
        if chat.librarian_id != acting_librarian.pk and not acting_librarian.is_supervisor:
            raise ActionError(
                "not_yours",
                "Only the librarian on the chat or a supervisor can add a note.",
                chat_id=chat_id,
            )
        if client_id:
            stored = ChatNote.objects.filter(
                chat_id=chat_id, author=acting_librarian, client_id=client_id
            ).first()
            if stored is not None:
                return note_payload(stored)
        note = ChatNote.objects.create(
            chat=chat,
            author=acting_librarian,
            author_name=acting_librarian.display_name,
            body=body,
            client_id=client_id or None,
            created_at=timezone.now(),
        )
        payload = note_payload(note)
        groups = [watch_group(chat.pk)]
        if chat.librarian_id is not None:
            groups.append(librarian_group(chat.librarian_id))
        send_event_on_commit(groups, payload)
    return payload


def joined_line(name: str) -> str:
    """The line both sides see when a supervisor joins a chat."""
    return f"{name} joined"


def left_line(name: str) -> str:
    """The line both sides see when a joined supervisor leaves a chat."""
    return f"{name} left"


def _not_joinable(chat_id: int, librarian: Librarian) -> ActionError:
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        return ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if chat.state == ChatState.ENDED:
        return ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
    if chat.state == ChatState.WAITING:
        return ActionError(
            "invalid", "Only an active chat can be joined; claim a waiting one.", chat_id=chat_id
        )
    if chat.librarian_id == librarian.pk:
        return ActionError("invalid", "That chat is yours already.", chat_id=chat_id)
    return ActionError(
        "already_joined",
        "You have joined that chat already."
        if chat.joined_id == librarian.pk
        else "Another supervisor has joined that chat.",
        chat_id=chat_id,
    )


def do_join_chat(chat_id: int, *, acting_librarian: Librarian) -> MessageEvent:
    """A supervisor or admin joins an active chat held by someone else, to write to the
    patron beside the holder (who stays the holder). One supervisor at a time.

    The conditional update (active, nobody joined, not theirs) decides; then a system line
    "<name> joined" goes to the patron, the holder and the watchers (the chat's group and
    the holder's), and a ``chat.joined`` ``ChatEvent`` is written. Returns the line.
    Raises ``not_found``, ``chat_ended``, ``invalid``, ``already_joined``; the role is the
    caller's check.
    """
    now = timezone.now()
    with transaction.atomic():
        won = (
            Chat.objects.filter(pk=chat_id, state=ChatState.ACTIVE, joined__isnull=True)
            .exclude(librarian=acting_librarian)
            .update(joined=acting_librarian)
        )
        if not won:
            raise _not_joinable(chat_id, acting_librarian)
        chat, line = _system_line(chat_id, joined_line(acting_librarian.display_name), now)
        _record_event(
            chat,
            "chat.joined",
            {"chat_id": chat.pk, "by": acting_librarian.display_name, "by_id": acting_librarian.pk},
            actor=acting_librarian,
        )
        groups = [chat_group(chat.pk)]
        if chat.librarian_id is not None:
            groups.append(librarian_group(chat.librarian_id))
        send_event_on_commit(groups, line)
    return line


def do_leave_joined_chat(chat_id: int, *, acting_librarian: Librarian) -> MessageEvent:
    """A joined supervisor stops writing to the patron: "<name> left", to the same
    groups as the joined line, and a ``chat.join_left`` ``ChatEvent``. Raises
    ``not_found``, ``chat_ended``, ``not_joined``."""
    now = timezone.now()
    with transaction.atomic():
        won = Chat.objects.filter(
            pk=chat_id, state=ChatState.ACTIVE, joined=acting_librarian
        ).update(joined=None)
        if not won:
            chat = get_chat_for_staff(chat_id)
            if chat is None:
                raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
            if chat.state == ChatState.ENDED:
                raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
            raise ActionError("not_joined", "You have not joined that chat.", chat_id=chat_id)
        line = _left_join(chat_id, acting_librarian, now)
    return line


def _left_join(
    chat_id: int, librarian: Librarian, now: dt.datetime, *, reason: str = ""
) -> MessageEvent:
    """The chat's join by ``librarian`` was just cleared (in the caller's transaction):
    the "<name> left" line to the chat's group and the holder's, and the
    ``chat.join_left`` ``ChatEvent`` (with ``reason`` when the desk ended the join)."""
    chat, line = _system_line(chat_id, left_line(librarian.display_name), now)
    data: dict[str, Any] = {"chat_id": chat.pk, "by": librarian.display_name, "by_id": librarian.pk}
    if reason:
        data["reason"] = reason
    _record_event(chat, "chat.join_left", data, actor=librarian)
    groups = [chat_group(chat.pk)]
    if chat.librarian_id is not None:
        groups.append(librarian_group(chat.librarian_id))
    send_event_on_commit(groups, line)
    return line


def do_end_joins_of(librarian_id: int) -> list[MessageEvent]:
    """The librarian may no longer write beside a chat's holder (their role was lowered to
    librarian, or their account deactivated): every chat they joined is left, each as
    :func:`do_leave_joined_chat` leaves it ("<name> left" to the patron, the holder and the
    watchers; a ``chat.join_left`` ``ChatEvent`` with ``reason: "role"``), in the caller's
    transaction. Returns the lines. The message path needs no role check of its own: a
    join ends with the role."""
    now = timezone.now()
    lines: list[MessageEvent] = []
    with transaction.atomic():
        joined = list(
            Chat.objects.filter(joined_id=librarian_id, state=ChatState.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not joined:
            return lines
        librarian = Librarian.objects.get(pk=librarian_id)
        lines.extend(
            _left_join(chat_id, librarian, now, reason="role")
            for chat_id in joined
            if Chat.objects.filter(
                pk=chat_id, state=ChatState.ACTIVE, joined_id=librarian_id
            ).update(joined=None)
        )
    return lines


def check_alert_supervisor(chat_id: int, *, acting_librarian: Librarian, note: object) -> int:
    """A librarian calls for a supervisor on a chat they hold, or on any waiting chat.

    Validates the note (one line, up to 500 characters), then
    :func:`do_alert_supervisor`. Raises ``not_found``, ``chat_ended``, ``not_yours``.
    """
    note_text = clean_text(note, field="note", max_chars=MAX_ALERT_NOTE_CHARS, multiline=False)
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if chat.state == ChatState.ENDED:
        raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
    if chat.state == ChatState.ACTIVE and chat.librarian_id != acting_librarian.pk:
        raise ActionError(
            "not_yours", "Only the librarian on the chat can call a supervisor.", chat_id=chat_id
        )
    return do_alert_supervisor(chat, acting_librarian=acting_librarian, note=note_text)


def do_alert_supervisor(chat: Chat, *, acting_librarian: Librarian, note: str) -> int:
    """Send ``alert`` (kind ``supervisor``) to every console of every supervisor and admin
    (the ``supervisors`` group) and write a ``chat.supervisor_alerted`` ``ChatEvent``.
    Returns how many supervisors and admins have a console open to receive it."""
    now = timezone.now()
    with transaction.atomic():
        _record_event(
            chat,
            "chat.supervisor_alerted",
            {"chat_id": chat.pk, "by": acting_librarian.display_name, "note": note},
            actor=acting_librarian,
        )
        send_event_on_commit(
            [SUPERVISORS_GROUP],
            SupervisorAlert(
                type="alert",
                kind="supervisor",
                chat_id=chat.pk,
                campus=chat.campus.slug,
                from_librarian_id=acting_librarian.pk,
                from_name=acting_librarian.display_name,
                note=note,
                at=now.isoformat(),
            ),
        )
        return count_supervisors_at_desk()
