"""Reads about chats, and the payloads that describe them on the wire."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet

from refdesk.accounts.models import Librarian
from refdesk.chats.models import Chat, ChatEvent, ChatState, Message


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


def chat_summary(chat: Chat) -> dict[str, Any]:
    """A chat as the console sees it (the queue row and the patron panel).

    Expects ``campus`` and ``librarian`` to be loaded or cheap to load.
    """
    campus = chat.campus
    librarian = chat.librarian
    return {
        "id": chat.pk,
        "state": chat.state,
        "end_reason": chat.end_reason or None,
        "campus": campus.slug,
        "campus_name": campus.name,
        "campus_colour": campus.colour,
        "patron_name": chat.patron_name,
        "patron_email": chat.patron_email,
        "question": chat.question,
        "name_was_question": chat.name_was_question,
        "page_url": chat.page_url,
        "browser": chat.browser,
        "created_at": _iso(chat.created_at),
        "claimed_at": _iso(chat.claimed_at),
        "ended_at": _iso(chat.ended_at),
        "claimed_by": librarian.display_name if librarian else None,
        "claimed_by_id": librarian.pk if librarian else None,
        "last_seq": chat.last_seq,
    }


def patron_chat_view(chat: Chat) -> dict[str, Any]:
    """A chat as its patron sees it: no staff details."""
    return {
        "id": chat.pk,
        "state": chat.state,
        "end_reason": chat.end_reason or None,
        "campus": chat.campus.slug,
        "campus_name": chat.campus.name,
        "patron_name": chat.patron_name,
        "librarian_name": chat.librarian.display_name if chat.librarian else None,
        "created_at": _iso(chat.created_at),
    }


def message_payload(message: Message) -> dict[str, Any]:
    """The ``message`` event of one stored message."""
    return {
        "type": "message",
        "chat_id": message.chat_id,
        "seq": message.seq,
        "sender": message.sender,
        "sender_name": message.sender_name,
        "body": message.body,
        "client_id": message.client_id or "",
        "sent_at": _iso(message.created_at),
    }


def list_messages(chat: Chat, *, after: int = 0) -> list[dict[str, Any]]:
    """Message payloads of a chat with ``seq`` above ``after``, in order."""
    return [message_payload(m) for m in chat.messages.filter(seq__gt=after).order_by("seq")]


def _with_relations(qs: QuerySet[Chat]) -> QuerySet[Chat]:
    return qs.select_related("campus", "librarian")


def list_waiting_chats() -> list[dict[str, Any]]:
    """Every waiting chat in every queue, oldest first."""
    return [
        chat_summary(c)
        for c in _with_relations(Chat.objects.filter(state=ChatState.WAITING)).order_by(
            "created_at", "pk"
        )
    ]


def list_active_chats_with_messages(librarian: Librarian) -> list[dict[str, Any]]:
    """The librarian's active chats, each with all its messages."""
    chats = list(
        _with_relations(Chat.objects.filter(state=ChatState.ACTIVE, librarian=librarian)).order_by(
            "claimed_at", "pk"
        )
    )
    return _attach_messages(chats)


def list_recently_ended_chats(librarian: Librarian, *, after_event: int) -> list[dict[str, Any]]:
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


def _attach_messages(chats: list[Chat]) -> list[dict[str, Any]]:
    by_chat: dict[int, list[dict[str, Any]]] = {c.pk: [] for c in chats}
    for message in Message.objects.filter(chat_id__in=by_chat).order_by("chat_id", "seq"):
        by_chat[message.chat_id].append(message_payload(message))
    return [{**chat_summary(c), "messages": by_chat[c.pk]} for c in chats]


def get_last_event_id() -> int:
    """The newest ``ChatEvent`` id: the staff socket's resume cursor."""
    last = ChatEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def get_chat_for_staff(chat_id: int) -> Chat | None:
    """A chat by id with its campus and librarian."""
    return _with_relations(Chat.objects.filter(pk=chat_id)).first()
