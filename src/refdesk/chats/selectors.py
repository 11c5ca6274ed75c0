"""Reads about chats, and the payloads that describe them on the wire."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.chats.events import (
    ChatStateName,
    ChatSummary,
    ChatWithMessages,
    EndReasonName,
    MessageEvent,
    NoteEvent,
    PatronChatView,
    SenderName,
    TransferOffered,
)
from refdesk.chats.models import (
    Chat,
    ChatEvent,
    ChatNote,
    ChatState,
    InterviewQuestion,
    Message,
)
from refdesk.core.realtime import JSONText
from refdesk.core.rows import load_related


def hash_token(token: str) -> str:
    """The stored form of a patron token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def get_chat_by_token(token: str) -> Chat | None:
    """The one chat a patron token opens, or None."""
    if not token or len(token) > 200:  # noqa: PLR2004
        return None
    return (
        Chat.objects.select_related("campus", "librarian")
        .filter(token_hash=hash_token(token))
        .first()
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def chat_summary(chat: Chat) -> ChatSummary:
    """A chat as the console sees it (the queue row and the patron panel).

    Expects ``campus`` and ``librarian`` to be loaded or cheap to load.
    """
    campus = chat.campus
    librarian = chat.librarian
    active = chat.state == ChatState.ACTIVE
    summary = ChatSummary(
        id=chat.pk,
        state=cast(ChatStateName, chat.state),
        end_reason=cast(EndReasonName, chat.end_reason) if chat.end_reason else None,
        campus=campus.slug,
        campus_name=campus.name,
        campus_colour=campus.colour,
        patron_name=chat.patron_name,
        patron_email=chat.patron_email,
        question=chat.question,
        name_was_question=chat.name_was_question,
        page_url=chat.page_url,
        browser=chat.browser,
        created_at=chat.created_at.isoformat(),
        claimed_at=_iso(chat.claimed_at),
        ended_at=_iso(chat.ended_at),
        claimed_by=librarian.display_name if librarian else None,
        claimed_by_id=librarian.pk if librarian else None,
        last_seq=chat.last_seq,
        patron_gone_at=_iso(chat.patron_gone_at) if chat.state != ChatState.ENDED else None,
        waiting_since=_iso(chat.waiting_since) if chat.state == ChatState.WAITING else None,
        home_until=_iso(chat.home_until) if chat.state == ChatState.WAITING else None,
        home_ended_at=_iso(chat.home_ended_at) if chat.state == ChatState.WAITING else None,
        ticket_offer_at=_iso(chat.ticket_offer_at) if chat.state == ChatState.WAITING else None,
        offer_to_id=chat.offer_to_id if chat.state == ChatState.ACTIVE else None,
        offer_expires_at=_iso(chat.offer_expires_at) if chat.state == ChatState.ACTIVE else None,
        patron_waiting_since=_iso(chat.patron_waiting_since) if active else None,
        patron_silent_since=_iso(chat.patron_silent_since) if active else None,
        silent_asked_at=_iso(chat.silent_asked_at) if active else None,
    )
    if chat.flag:
        summary["flag"] = chat.flag
    return summary


def patron_chat_view(chat: Chat) -> PatronChatView:
    """A chat as its patron sees it: no staff details."""
    return PatronChatView(
        id=chat.pk,
        state=cast(ChatStateName, chat.state),
        end_reason=cast(EndReasonName, chat.end_reason) if chat.end_reason else None,
        campus=chat.campus.slug,
        campus_name=chat.campus.name,
        patron_name=chat.patron_name,
        librarian_name=chat.librarian.display_name if chat.librarian else None,
        created_at=chat.created_at.isoformat(),
        queue_position=get_queue_place(chat) if chat.state == ChatState.WAITING else None,
    )


def get_queue_place(chat: Chat) -> int:
    """A waiting chat's place in its campus's queue, 1 for the next one to be answered: the
    queue's order is ``created_at``, then id (as the console lists it)."""
    ahead = Chat.objects.filter(
        Q(created_at__lt=chat.created_at) | Q(created_at=chat.created_at, pk__lt=chat.pk),
        campus_id=chat.campus_id,
        state=ChatState.WAITING,
    ).count()
    return ahead + 1


def list_queue_places(campus_ids: list[int]) -> dict[int, int]:
    """Every waiting chat of these campuses, by id, with its place in its campus's queue
    (see :func:`get_queue_place`); one query."""
    places: dict[int, int] = {}
    counters: dict[int, int] = {}
    waiting = (
        Chat.objects.filter(campus_id__in=campus_ids, state=ChatState.WAITING)
        .order_by("campus_id", "created_at", "pk")
        .values_list("pk", "campus_id")
    )
    for chat_id, campus_id in waiting:
        counters[campus_id] = counters.get(campus_id, 0) + 1
        places[chat_id] = counters[campus_id]
    return places


def get_newest_chat_event_id() -> int:
    """The id of the newest ``ChatEvent``, 0 when there is none."""
    return ChatEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# The ``ChatEvent`` types of an active chat's timers (counted by the reports; they move no
# queue).
TIMER_EVENT_TYPES = ("chat.dead_air", "chat.silent_patron")
# The ``ChatEvent`` types of supervision (for the record; they move no queue either).
SUPERVISION_EVENT_TYPES = ("chat.joined", "chat.join_left", "chat.supervisor_alerted")


def list_campuses_with_queue_changes(after_event: int) -> tuple[int, list[int]]:
    """The newest ``ChatEvent`` id, and the campuses of the chats with an event after
    ``after_event`` other than ``chat.created`` (a new chat joins the end of its queue and
    moves nobody), ``chat.updated`` and ``message``: the queues whose places may have
    changed."""
    newest = get_newest_chat_event_id()
    if newest <= after_event:
        return newest, []
    campus_ids = (
        ChatEvent.objects.filter(pk__gt=after_event, pk__lte=newest)
        .exclude(
            type__in=(
                "chat.created",
                "chat.updated",
                "message",
                *TIMER_EVENT_TYPES,
                *SUPERVISION_EVENT_TYPES,
            )
        )
        .values_list("chat__campus_id", flat=True)
        .distinct()
    )
    return newest, sorted(set(campus_ids))


def message_event(
    *,
    chat_id: int,
    seq: int,
    sender: str,
    sender_name: str,
    body: str,
    client_id: str | None,
    sent_at: dt.datetime,
    automatic: bool = False,
) -> MessageEvent:
    """The ``message`` event of one stored line: the one place its shape is made. Only a
    line the desk wrote by itself carries ``automatic`` (true)."""
    event = MessageEvent(
        type="message",
        chat_id=chat_id,
        seq=seq,
        sender=cast(SenderName, sender),
        sender_name=sender_name,
        body=body,
        client_id=client_id or "",
        sent_at=sent_at.isoformat(),
    )
    if automatic:
        event["automatic"] = True
    return event


def message_payload(message: Message) -> MessageEvent:
    """The ``message`` event of one stored message."""
    return message_event(
        chat_id=message.chat_id,
        seq=message.seq,
        sender=message.sender,
        sender_name=message.sender_name,
        body=message.body,
        client_id=message.client_id,
        sent_at=message.created_at,
        automatic=message.automatic,
    )


# On SQLite, the payloads of many messages come back as one JSON row that SQLite builds
# while the interpreter lock is free for the event loop, instead of one model instance
# per row (five times the time, all of it holding the lock). Stored times are UTC text,
# "YYYY-MM-DD HH:MM:SS[.ffffff]", so their ISO form (``message_payload``'s) is a replace
# away.
# A line the desk wrote by itself carries ``"automatic": true``; others have no such key.
_MESSAGES_SQLITE = (
    "SELECT json_group_array(json_patch(json_object('type', 'message', 'chat_id', chat_id, "
    "'seq', seq, 'sender', sender, 'sender_name', sender_name, 'body', body, "
    "'client_id', coalesce(client_id, ''), "
    "'sent_at', replace(created_at, ' ', 'T') || '+00:00'), "
    "CASE WHEN automatic THEN '{\"automatic\":true}' ELSE '{}' END)) "
    "FROM (SELECT chat_id, seq, sender, sender_name, body, client_id, created_at, automatic "
    "FROM chats_message WHERE chat_id IN (SELECT value FROM json_each(%s)) AND seq > %s "
    "ORDER BY chat_id, seq)"
)
_by_seq = itemgetter("seq")


def list_message_payloads(
    chat_ids: list[int], *, after: int = 0, flags: bool = False
) -> dict[int, list[MessageEvent]]:
    """The payloads (``message_payload``) of the messages of each chat, with ``seq``
    above ``after``, in order; one query for all the chats. With ``flags`` (for staff
    alone), a flagged patron line carries its ``flag``."""
    by_chat: dict[int, list[MessageEvent]] = {chat_id: [] for chat_id in chat_ids}
    if not chat_ids:
        return by_chat
    if flags:
        for message in Message.objects.filter(chat_id__in=chat_ids, seq__gt=after).order_by(
            "chat_id", "seq"
        ):
            payload = message_payload(message)
            if message.flag:
                payload["flag"] = message.flag
            by_chat[message.chat_id].append(payload)
        return by_chat
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(_MESSAGES_SQLITE, [json.dumps(chat_ids), after])
            row = cursor.fetchone()
        for payload in json.loads(row[0] if row and row[0] else "[]"):
            by_chat[payload["chat_id"]].append(payload)
        for payloads in by_chat.values():
            payloads.sort(key=_by_seq)  # in order already: a pass that guarantees it
        return by_chat
    messages = Message.objects.filter(chat_id__in=chat_ids, seq__gt=after)
    for message in messages.order_by("chat_id", "seq"):
        by_chat[message.chat_id].append(message_payload(message))
    return by_chat


# Each chat's messages as one JSON array, made by SQLite: one statement for all the chats,
# each chat's array in ``seq`` order (an aggregate over an ordered subquery keeps its order).
_MESSAGES_JSON_SQLITE = (
    "SELECT c.value, (SELECT json_group_array(json_patch(json_object('type', 'message', "
    "'chat_id', m.chat_id, 'seq', m.seq, 'sender', m.sender, 'sender_name', m.sender_name, "
    "'body', m.body, 'client_id', coalesce(m.client_id, ''), "
    "'sent_at', replace(m.created_at, ' ', 'T') || '+00:00'), "
    "CASE WHEN m.automatic THEN '{\"automatic\":true}' "
    "WHEN m.flag != '' THEN json_object('flag', m.flag) ELSE '{}' END)) "
    "FROM (SELECT chat_id, seq, sender, sender_name, body, client_id, created_at, automatic, "
    "flag FROM chats_message WHERE chat_id = c.value AND seq > %s ORDER BY seq) AS m) "
    "FROM json_each(%s) AS c"
)


def list_messages_json(chat_ids: list[int], *, after: int = 0) -> dict[int, JSONText]:
    """What :func:`list_message_payloads` reads, as each chat's JSON array, for a frame to
    carry as it is: a snapshot or a transcript is then neither parsed nor encoded again.
    For staff only: a flagged patron line carries its ``flag``."""
    if not chat_ids:
        return {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(_MESSAGES_JSON_SQLITE, [after, json.dumps(chat_ids)])
            return {chat_id: JSONText(text) for chat_id, text in cursor.fetchall()}
    return {
        chat_id: JSONText(json.dumps(payloads, ensure_ascii=False, separators=(",", ":")))
        for chat_id, payloads in list_message_payloads(chat_ids, after=after, flags=True).items()
    }


def list_messages(chat: Chat, *, after: int = 0) -> list[MessageEvent]:
    """Message payloads of a chat with ``seq`` above ``after``, in order."""
    return list_message_payloads([chat.pk], after=after)[chat.pk]


def _with_relations(qs: QuerySet[Chat]) -> QuerySet[Chat]:
    return qs.select_related("campus", "librarian")


QueuePosition = tuple[dt.datetime, int]


def get_queue_position(chat_id: int) -> QueuePosition | None:
    """Where a chat stands in the queues, ``(created_at, id)``, whatever its state now; the
    cursor of a page of older waiting chats. None when there is no such chat."""
    return Chat.objects.filter(pk=chat_id).values_list("created_at", "pk").first()


def list_waiting_page(
    *, limit: int, campus_id: int | None = None, before: QueuePosition | None = None
) -> tuple[list[ChatSummary], bool]:
    """The newest ``limit`` waiting chats queued before ``before`` (all of them when None),
    of one campus or of every one, oldest first; and whether older ones wait beyond them.

    The queue's order is ``created_at``, then id. One query, whatever the queue's length.
    """
    chats = Chat.objects.filter(state=ChatState.WAITING)
    if campus_id is not None:
        chats = chats.filter(campus_id=campus_id)
    if before is not None:
        created_at, chat_id = before
        chats = chats.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=chat_id)
        )
    newest = list(_with_relations(chats).order_by("-created_at", "-pk")[: limit + 1])
    return [chat_summary(c) for c in reversed(newest[:limit])], len(newest) > limit


@dataclass(frozen=True)
class QueueCounts:
    """The newest chat event id, and how many chats wait in each campus queue then."""

    event_id: int
    by_campus: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_campus.values())


def get_queue_counts() -> QueueCounts:
    """The newest ``ChatEvent`` id (the staff socket's resume cursor) and the number of
    waiting chats per campus slug (campuses with none are left out).

    One statement reads both, so they agree: the counts include every event up to that id
    and none after it, and a console can apply to them exactly the events it gets later.
    """
    chat_table = Chat._meta.db_table
    event_table = ChatEvent._meta.db_table
    campus_table = Campus._meta.db_table
    # Only table names from the models are formatted in; the state is a parameter.
    sql = (
        f"SELECT NULL, COALESCE(MAX(id), 0) FROM {event_table} "  # noqa: S608
        f"UNION ALL SELECT campus.slug, COUNT(*) FROM {chat_table} AS chat "
        f"JOIN {campus_table} AS campus ON campus.id = chat.campus_id "
        "WHERE chat.state = %s GROUP BY campus.slug"
    )
    event_id = 0
    by_campus: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [ChatState.WAITING.value])
        for slug, count in cursor.fetchall():
            if slug is None:
                event_id = int(count)
            else:
                by_campus[str(slug)] = int(count)
    return QueueCounts(event_id, by_campus)


def list_active_chats_with_messages(librarian: Librarian) -> list[ChatWithMessages]:
    """The librarian's active chats, each with all its messages."""
    chats = list(
        _with_relations(Chat.objects.filter(state=ChatState.ACTIVE, librarian=librarian)).order_by(
            "claimed_at", "pk"
        )
    )
    return _attach_messages(chats)


def list_active_chats_of(librarian_id: int) -> list[ChatSummary]:
    """The chats a librarian holds now, in claim order, as summaries (for a supervisor
    who may take one over)."""
    chats = _with_relations(
        Chat.objects.filter(state=ChatState.ACTIVE, librarian_id=librarian_id)
    ).order_by("claimed_at", "pk")
    return [chat_summary(chat) for chat in chats]


def list_recently_ended_chats(librarian: Librarian, *, after_event: int) -> list[ChatWithMessages]:
    """The librarian's chats that ended after event ``after_event``, with their messages.

    A console that reconnects learns how the chats it was showing ended.
    """
    if after_event <= 0:
        return []
    chat_ids = ChatEvent.objects.filter(pk__gt=after_event, type="chat.ended").values("chat_id")
    chats = list(
        _with_relations(Chat.objects.filter(pk__in=chat_ids, librarian=librarian)).order_by("pk")
    )
    return _attach_messages(chats)


def with_messages(chat: Chat, messages: list[MessageEvent] | JSONText) -> ChatWithMessages:
    return ChatWithMessages(**chat_summary(chat), messages=messages)


def _attach_messages(chats: list[Chat]) -> list[ChatWithMessages]:
    by_chat = list_messages_json([c.pk for c in chats])
    return [with_messages(c, by_chat[c.pk]) for c in chats]


def list_chats_for_staff(chat_ids: list[int]) -> dict[int, Chat]:
    """Chats by id with their campus and librarian, in one query; missing ids are left out."""
    return {chat.pk: chat for chat in _with_relations(Chat.objects.filter(pk__in=chat_ids))}


def get_chat_for_staff(chat_id: int) -> Chat | None:
    """A chat by id with its campus and librarian (one prepared statement: every frame
    that names a chat reads it)."""
    found = load_related(Chat, ("campus", "librarian"), "t.id = %s", [chat_id])
    return found[0] if found else None


def list_transfer_offers(librarian: Librarian) -> list[TransferOffered]:
    """The transfers offered to ``librarian`` that still stand, each as its
    ``chat.transfer.offered`` event (with the chat's messages), oldest offer first."""
    now = timezone.now()
    chats = list(
        _with_relations(
            Chat.objects.filter(
                state=ChatState.ACTIVE, offer_to=librarian, offer_expires_at__gt=now
            )
        )
        .select_related("offer_from")
        .order_by("offer_expires_at", "pk")
    )
    if not chats:
        return []
    messages = list_messages_json([chat.pk for chat in chats])
    offers: list[TransferOffered] = []
    for chat in chats:
        sender = chat.offer_from
        assert chat.offer_expires_at is not None  # noqa: S101 - filtered on it
        offers.append(
            {
                "type": "chat.transfer.offered",
                "chat_id": chat.pk,
                "from": sender.display_name if sender else "",
                "from_id": sender.pk if sender else 0,
                "expires_at": chat.offer_expires_at.isoformat(),
                "chat": with_messages(chat, messages[chat.pk]),
            }
        )
    return offers


def list_interview_questions() -> list[str]:
    """The reference-interview card's questions, in order."""
    return list(InterviewQuestion.objects.order_by("position", "pk").values_list("text", flat=True))


def note_payload(note: ChatNote) -> NoteEvent:
    """The ``note`` event of one internal note: the one place its shape is made."""
    return NoteEvent(
        type="note",
        chat_id=note.chat_id,
        id=note.pk,
        author_id=note.author_id,
        author_name=note.author_name,
        body=note.body,
        created_at=note.created_at.isoformat(),
    )


def list_notes(chat_ids: list[int]) -> list[NoteEvent]:
    """The internal notes of the chats, oldest first, in one query."""
    if not chat_ids:
        return []
    return [
        note_payload(note) for note in ChatNote.objects.filter(chat_id__in=chat_ids).order_by("id")
    ]


def list_notes_of_active_chats(librarian: Librarian) -> list[NoteEvent]:
    """The internal notes of the librarian's active chats, oldest first (their console's
    snapshot)."""
    return [
        note_payload(note)
        for note in ChatNote.objects.filter(
            chat__state=ChatState.ACTIVE, chat__librarian=librarian
        ).order_by("id")
    ]
