"""The chats' frames on both sockets, and their part of the console's snapshot.

Each handler validates its frame's fields and calls the chat actions; the sockets in the
faces find them in ``core.frames``' registries. See docs/protocol.md for every field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from refdesk.accounts.access import access_librarian
from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import is_anyone_online
from refdesk.campuses.selectors import get_campus_id
from refdesk.chats import actions
from refdesk.chats.access import access_chat, access_chat_to_watch
from refdesk.chats.actions import NewMessage, clean_client_id, clean_message_body
from refdesk.chats.models import Chat, ChatState, EndReason, Sender
from refdesk.chats.pipeline import get_pipeline
from refdesk.chats.selectors import (
    chat_summary,
    get_chat_by_token,
    get_chat_for_staff,
    get_queue_counts,
    get_queue_position,
    list_active_chats_of,
    list_active_chats_with_messages,
    list_interview_questions,
    list_messages,
    list_messages_json,
    list_notes,
    list_notes_of_active_chats,
    list_recently_ended_chats,
    list_transfer_offers,
    list_waiting_page,
    patron_chat_view,
)
from refdesk.core.consumers import TokenBucket, optional_int, require_bool, require_int
from refdesk.core.db import run_action, run_read
from refdesk.core.errors import ActionError
from refdesk.core.frames import (
    Console,
    Frame,
    Patron,
    patron_frame,
    snapshot_part,
    staff_frame,
)
from refdesk.core.process import PROCESS_ID
from refdesk.core.realtime import EncodedEvent
from refdesk.intake.hours_question import ask_about_hours


def _with_messages(chat: Chat) -> dict[str, Any]:
    return {**chat_summary(chat), "messages": list_messages_json([chat.pk])[chat.pk]}


# ---------------------------------------------------------------------------
# The console
# ---------------------------------------------------------------------------


@snapshot_part(order=10)
def queue_and_my_chats(librarian: Librarian, after: int) -> dict[str, Any]:
    """The cursor, the newest page of the queues with their counts, my active chats, and
    my chats that ended after ``after``."""
    # The counts and the cursor first, in one statement: the console applies to the counts
    # exactly the events after ``event_id``.
    counts = get_queue_counts()
    waiting, _more = list_waiting_page(limit=settings.REFDESK["SNAPSHOT_WAITING"])
    return {
        "event_id": counts.event_id,
        "waiting": waiting,
        "waiting_total": counts.total,
        "waiting_by_campus": counts.by_campus,
        "active": list_active_chats_with_messages(librarian),
        "ended": list_recently_ended_chats(librarian, after_event=after),
        "transfer_offers": list_transfer_offers(librarian),
    }


@snapshot_part(order=45)
def interview_card(librarian: Librarian, after: int) -> dict[str, Any]:
    """The reference-interview card's questions, in order."""
    return {"interview_questions": list_interview_questions()}


@staff_frame("chat.claim")
def claim(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    return {"chat": _with_messages(actions.do_claim_chat(chat_id, acting_librarian=librarian))}


@staff_frame("chat.patron")
def patron_details(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    chat = actions.check_set_patron_details(
        chat_id, acting_librarian=librarian, name=frame.get("name"), email=frame.get("email")
    )
    return {"chat": chat_summary(chat)}


@staff_frame("chat.fetch", lane="read")
def fetch(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    return {"chat": _with_messages(access_chat(librarian, chat_id, for_="fetch"))}


@staff_frame("chat.end")
def end(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    chat = actions.check_end_chat_by_librarian(
        chat_id, acting_librarian=librarian, closing=frame.get("closing", "")
    )
    return {"chat_id": chat.pk, "state": chat.state}


@staff_frame("chat.transfer")
def transfer(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """To a librarian (an offer they accept or decline) or to a campus's queue."""
    chat_id = require_int(frame, "chat_id")
    to_librarian, to_campus = frame.get("to_librarian"), frame.get("to_campus")
    if (to_librarian is None) == (to_campus is None):
        raise ActionError(
            "invalid", "Give exactly one of to_librarian and to_campus.", field="to_librarian"
        )
    if to_campus is not None:
        campus_id = campus_filter({"campus": to_campus})
        if campus_id is None:
            raise ActionError("invalid", "to_campus must be a campus's slug.", field="to_campus")
        chat = access_chat(librarian, chat_id, for_="transfer")
        moved = actions.do_return_chat_to_queue(
            chat.pk,
            campus_id=campus_id,
            acting_librarian=librarian,
            reason="transfer",
            holder=librarian.pk,
        )
        return {"chat_id": moved.pk, "to_campus": moved.campus.slug}
    target = require_int(frame, "to_librarian")
    offer = actions.do_offer_transfer(chat_id, acting_librarian=librarian, to_librarian_id=target)
    return {
        "chat_id": offer.chat.pk,
        "offered_to": offer.to.display_name,
        "offered_to_id": offer.to.pk,
        "expires_at": offer.expires_at.isoformat(),
    }


@staff_frame("chat.take_over", role="supervisor")
def take_over(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """A supervisor takes an active chat from its holder; the ack is the chat, now theirs."""
    chat_id = require_int(frame, "chat_id")
    return {"chat": _with_messages(actions.do_take_over_chat(chat_id, acting_librarian=librarian))}


@staff_frame("chat.list", role="supervisor", lane="read")
def chat_list(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """The active chats another librarian holds, for a supervisor to take one over."""
    holder = require_int(frame, "librarian_id")
    return {"librarian_id": holder, "chats": list_active_chats_of(holder)}


@staff_frame("chat.transfer.accept")
def transfer_accept(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    return {"chat": _with_messages(actions.do_accept_transfer(chat_id, acting_librarian=librarian))}


@staff_frame("chat.transfer.decline")
def transfer_decline(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    return {"chat_id": actions.do_decline_transfer(chat_id, acting_librarian=librarian).pk}


def campus_filter(frame: Frame) -> int | None:
    """A frame's optional ``campus`` slug, as the campus's id: None when absent, null or
    ``""`` (every campus); ``invalid`` when not text; ``unknown_campus`` when no campus has
    that slug."""
    value = frame.get("campus")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ActionError("invalid", "campus must be a campus's slug.", field="campus")
    campus_id = get_campus_id(value)
    if campus_id is None:
        raise ActionError("unknown_campus", "There is no such campus.", field="campus")
    return campus_id


@staff_frame("queue.list", lane="read")
def queue_list(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """A page of waiting chats (``REFDESK_SNAPSHOT_WAITING`` of them) queued before the chat
    ``before``, in one campus's queue or every one: ``{"waiting": [...], "more": bool}``.
    ``not_found`` (``field: "before"``) when ``before`` names no chat."""
    campus_id = campus_filter(frame)
    cursor_id = optional_int(frame, "before")
    position = None
    if cursor_id is not None:
        position = get_queue_position(cursor_id)
        if position is None:
            raise ActionError("not_found", "There is no such chat to page from.", field="before")
    waiting, more = list_waiting_page(
        limit=settings.REFDESK["SNAPSHOT_WAITING"], campus_id=campus_id, before=position
    )
    return {"waiting": waiting, "more": more}


@staff_frame("chat.ask_email")
def ask_email(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat = actions.check_ask_email(require_int(frame, "chat_id"), acting_librarian=librarian)
    return {"chat_id": chat.pk}


@staff_frame("chat.dismiss", role="supervisor")
def dismiss(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    dismissed, skipped = actions.check_dismiss_chats(
        frame.get("chat_ids"), acting_librarian=librarian, reason=frame.get("reason")
    )
    return {"dismissed": dismissed, "skipped": skipped}


@staff_frame("message.send", lane=None)
async def send_as_librarian(console: Console, frame: Frame) -> dict[str, Any]:
    """The message path: the pipeline checks the session and the holder with its batch."""
    message = NewMessage(
        require_int(frame, "chat_id"),
        Sender.LIBRARIAN,
        clean_message_body(frame.get("body")),
        clean_client_id(frame.get("client_id")),
        librarian_id=console.librarian_id,
        librarian_name=console.librarian_name,
        origin=console.channel_name,
        session_key=console.session_key,
    )
    return {"message": await get_pipeline().submit(message)}


def _may_type(session_key: str, librarian_id: int, chat_id: int) -> None:
    access_chat(access_librarian(session_key, librarian_id), chat_id, for_="type")


@staff_frame("typing", lane=None)
async def librarian_typing(console: Console, frame: Frame) -> None:
    chat_id = require_int(frame, "chat_id")
    active = require_bool(frame, "active")
    await run_read(_may_type, console.session_key, console.librarian_id, chat_id)
    await actions.do_send_typing(
        chat_id, sender=Sender.LIBRARIAN, active=active, librarian_id=console.librarian_id
    )


# ---------------------------------------------------------------------------
# Supervision: watching, internal notes, joining, alerting a supervisor
#
# A watching console joins the chat's own group (the patron's: every line of the chat
# goes there already) and ``watch.<id>`` (its internal notes). The message path sends to
# the same groups whether anyone watches or not, so watching costs it nothing. What the
# chat's group carries for the patron alone (the patron's forms of ``chat.claimed``,
# ``chat.ended`` and ``chat.transferred``, ``queue.position``, a librarian's typing, ...)
# is marked so in its layer meta (``core.realtime.for_patron``), and a watching console
# drops it: it has the staff forms from the staff group.
# ---------------------------------------------------------------------------


def watch_ended(event_type: str, text: str) -> int | None:
    """The chat whose watch a forwarded staff ``chat.ended`` ends, else None."""
    if event_type != "chat.ended":
        return None
    chat_id = json.loads(text).get("chat_id")
    return chat_id if isinstance(chat_id, int) else None


def _may_watch(session_key: str, librarian_id: int, chat_id: int) -> None:
    access_chat_to_watch(access_librarian(session_key, librarian_id), chat_id)


def _watch_history(session_key: str, librarian_id: int, chat_id: int) -> dict[str, Any]:
    librarian = access_librarian(session_key, librarian_id)
    chat = access_chat_to_watch(librarian, chat_id)
    return EncodedEvent.of(
        {
            "chat": _with_messages(chat),
            "notes": list_notes([chat.pk]),
            "joined": chat.joined_id == librarian.pk,
        }
    )


@staff_frame("chat.watch", role="supervisor", lane=None)
async def watch(console: Console, frame: Frame) -> dict[str, Any]:
    """A supervisor watches a waiting or active chat, read-only: the ack is its staff
    history; its lines and notes follow live until ``chat.unwatch`` or its end."""
    chat_id = require_int(frame, "chat_id")
    # The role and the chat first: nobody else's socket may sit in the chat's group even
    # for a moment. Then subscribe before the history is read, so that a line is in the
    # history or comes after it.
    await run_read(_may_watch, console.session_key, console.librarian_id, chat_id)
    await console.watch(chat_id)
    try:
        history: dict[str, Any] = await run_read(
            _watch_history, console.session_key, console.librarian_id, chat_id
        )
    except ActionError:
        await console.unwatch(chat_id)
        raise
    return history


@staff_frame("chat.unwatch", lane=None)
async def unwatch(console: Console, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    await console.unwatch(chat_id)
    return {"chat_id": chat_id}


@staff_frame("chat.note")
def note(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    stored = actions.check_add_chat_note(
        chat_id,
        acting_librarian=librarian,
        body=frame.get("body"),
        client_id=frame.get("client_id"),
    )
    return {"note": stored}


@staff_frame("chat.join", role="supervisor")
def join(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    actions.do_join_chat(chat_id, acting_librarian=librarian)
    return {"chat_id": chat_id, "joined": True}


@staff_frame("chat.leave_join")
def leave_join(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    actions.do_leave_joined_chat(chat_id, acting_librarian=librarian)
    return {"chat_id": chat_id, "joined": False}


@staff_frame("chat.alert_supervisor")
def alert_supervisor(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    online = actions.check_alert_supervisor(
        chat_id, acting_librarian=librarian, note=frame.get("note")
    )
    return {"supervisors_online": online}


@snapshot_part(order=46)
def chat_notes(librarian: Librarian, after: int) -> dict[str, Any]:
    """The internal notes of my active chats."""
    return {"notes": list_notes_of_active_chats(librarian)}


# ---------------------------------------------------------------------------
# The patron
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PatronOpening:
    """What a patron socket learns when it opens: its chat, and the ``chat.state`` frame."""

    chat_id: int
    chat_state: str
    librarian_id: int | None
    state: dict[str, Any]


def find_chat_id(token: str) -> int | None:
    """The id of the chat a patron token opens, or None."""
    chat = get_chat_by_token(token)
    return chat.pk if chat else None


def open_patron_chat(token: str, after: int) -> PatronOpening | None:
    """The ``chat.state`` a patron socket starts with (messages after ``after``), or None
    once the token opens no chat (purged meanwhile)."""
    chat = get_chat_by_token(token)
    if chat is None:
        return None
    state = {
        "type": "chat.state",
        "chat": patron_chat_view(chat),
        "messages": list_messages(chat, after=after),
        # A waiting patron is offered a ticket while nobody is online (desk.status).
        "desk_online": is_anyone_online(),
    }
    return PatronOpening(chat.pk, chat.state, chat.librarian_id, state)


def patron_socket_opened(chat_id: int, channel_name: str) -> None:
    """A patron socket of a waiting or active chat opened in this process (write lane)."""
    actions.do_open_patron_socket(chat_id, channel_name=channel_name, process=PROCESS_ID)


def patron_socket_closed(chat_id: int, channel_name: str) -> None:
    """A patron socket that :func:`patron_socket_opened` recorded closed (write lane)."""
    actions.do_close_patron_socket(chat_id, channel_name=channel_name)


def observe_patron_event(patron: Patron, event_type: str, meta: dict[str, Any]) -> None:
    """What a patron socket learns from the events it relays, so that typing needs no
    query (every write is still checked by its action)."""
    if event_type == "chat.claimed":
        patron.chat_state = ChatState.ACTIVE
        patron.librarian_id = meta.get("librarian_id")
    elif event_type == "chat.transferred":
        patron.chat_state = str(meta.get("state", patron.chat_state))
        patron.librarian_id = meta.get("librarian_id")
    elif event_type == "chat.ended":
        patron.chat_state = ChatState.ENDED


# Each open chat's message allowance in this process, while it has a socket here.
_allowances: dict[int, TokenBucket] = {}


def take_chat_allowance(chat_id: int) -> None:
    """One message from the chat's allowance, shared by all its patron sockets in this
    process (each socket also has its own frame allowance)."""
    allowance = _allowances.get(chat_id)
    if allowance is None:
        per_minute = settings.REFDESK["MESSAGES_PER_CHAT_MINUTE"]
        allowance = _allowances[chat_id] = TokenBucket(per_minute / 60, per_minute)
    wait = allowance.take()
    if wait:
        raise ActionError(
            "rate_limited",
            "This chat is sending messages too fast; wait a moment.",
            retry_after=math.ceil(wait * 10) / 10,
        )


def forget_chat_allowance(chat_id: int) -> None:
    """The chat's last socket in this process closed."""
    _allowances.pop(chat_id, None)


@patron_frame("message.send")
async def send_as_patron(patron: Patron, frame: Frame) -> dict[str, Any]:
    take_chat_allowance(patron.chat_id)
    message = NewMessage(
        patron.chat_id,
        Sender.PATRON,
        clean_message_body(frame.get("body")),
        clean_client_id(frame.get("client_id")),
        origin=patron.channel_name,
    )
    stored = await get_pipeline().submit(message)
    # A waiting patron's question about hours is answered at once, after their line.
    if patron.chat_state == ChatState.WAITING and ask_about_hours(message.body) is not None:
        await run_action(actions.do_answer_hours_question, patron.chat_id, question=message.body)
    return {"message": stored}


@patron_frame("typing")
async def patron_typing(patron: Patron, frame: Frame) -> None:
    active = require_bool(frame, "active")
    if patron.chat_state == ChatState.ACTIVE:
        await actions.do_send_typing(
            patron.chat_id, sender=Sender.PATRON, active=active, librarian_id=patron.librarian_id
        )


def _leave(chat_id: int) -> None:
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "This chat no longer exists.")
    actions.do_end_chat(chat, reason=EndReason.PATRON_LEFT)


@patron_frame("chat.leave")
async def leave(patron: Patron, frame: Frame) -> dict[str, Any]:
    await run_action(_leave, patron.chat_id)
    return {"chat_id": patron.chat_id, "state": ChatState.ENDED}


@patron_frame("email.set")
async def set_email(patron: Patron, frame: Frame) -> dict[str, Any]:
    email = actions.clean_patron_email(frame.get("email"))
    chat = await run_action(actions.do_set_chat_email, patron.chat_id, email=email)
    return {"email": chat.patron_email}
