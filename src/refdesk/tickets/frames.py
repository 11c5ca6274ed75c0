"""The tickets' frames on both sockets, and their part of the console's snapshot."""

from __future__ import annotations

import asyncio
from typing import Any

from refdesk.accounts.access import access_librarian
from refdesk.accounts.models import Librarian
from refdesk.chats.frames import campus_filter
from refdesk.core.consumers import optional_int, require_int
from refdesk.core.db import run_action, run_read
from refdesk.core.errors import ActionError
from refdesk.core.frames import Console, Frame, Patron, patron_frame, snapshot_part, staff_frame
from refdesk.tickets import actions
from refdesk.tickets.models import TicketState
from refdesk.tickets.selectors import (
    NO_OWNER,
    count_tickets_by_campus,
    get_ticket,
    get_ticket_position,
    list_tickets_page,
    ticket_with_thread,
)

# Search words: one line, this long at most.
MAX_SEARCH_CHARS = 200


@snapshot_part(order=30)
def new_tickets(librarian: Librarian, after: int) -> dict[str, Any]:
    """The newest page of new tickets and their counts."""
    tickets, _more = list_tickets_page()
    by_campus = count_tickets_by_campus()
    return {
        "tickets": tickets,
        "tickets_total": sum(by_campus.values()),
        "tickets_by_campus": by_campus,
    }


def _state_filter(frame: Frame) -> str | None:
    state = frame.get("state")
    if state is None:
        return TicketState.NEW
    if state == "all":
        return None
    if not isinstance(state, str) or state not in TicketState.values:
        raise ActionError(
            "invalid", "state must be one of new, open, pending, closed or all.", field="state"
        )
    return state


def _owner_filter(frame: Frame) -> int | None:
    owner = frame.get("owner")
    if owner is None or owner == "":
        return None
    if owner == "none":
        return NO_OWNER
    if isinstance(owner, bool) or not isinstance(owner, int) or not 0 < owner < 2**62:
        raise ActionError("invalid", 'owner must be a librarian\'s id or "none".', field="owner")
    return int(owner)


def _search(frame: Frame) -> str:
    q = frame.get("q")
    if q is None:
        return ""
    if not isinstance(q, str) or len(q) > MAX_SEARCH_CHARS:
        raise ActionError(
            "invalid", f"q must be text of at most {MAX_SEARCH_CHARS} characters.", field="q"
        )
    return " ".join(q.split())


@staff_frame("ticket.list", lane="read")
def ticket_list(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    """A page of tickets (``REFDESK_SNAPSHOT_TICKETS`` of them) in ``state`` (default
    ``new``; ``all`` for every state), owned by ``owner`` (a librarian's id, or ``none``),
    matching ``q``, filed before the ticket ``before``, in one campus's queue or every
    one, newest first: ``{"tickets": [...], "more": bool}``. ``not_found``
    (``field: "before"``) when ``before`` names no ticket."""
    state = _state_filter(frame)
    owner_id = _owner_filter(frame)
    search = _search(frame)
    campus_id = campus_filter(frame)
    cursor_id = optional_int(frame, "before")
    position = None
    if cursor_id is not None:
        position = get_ticket_position(cursor_id)
        if position is None:
            raise ActionError("not_found", "There is no such ticket to page from.", field="before")
    tickets, more = list_tickets_page(
        state=state, campus_id=campus_id, owner_id=owner_id, search=search, before=position
    )
    return {"tickets": tickets, "more": more}


def _with_thread(ticket_id: int) -> dict[str, Any]:
    ticket = get_ticket(ticket_id)
    if ticket is None:
        raise ActionError("not_found", "There is no such ticket.", ticket_id=ticket_id)
    return {"ticket": ticket_with_thread(ticket)}


@staff_frame("ticket.fetch", lane="read")
def ticket_fetch(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    return _with_thread(require_int(frame, "ticket_id"))


@staff_frame("ticket.claim")
def ticket_claim(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    ticket = actions.do_claim_ticket(require_int(frame, "ticket_id"), acting_librarian=librarian)
    return _with_thread(ticket.pk)


@staff_frame("ticket.assign")
def ticket_assign(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    ticket = actions.check_assign_ticket(
        require_int(frame, "ticket_id"),
        to_librarian=require_int(frame, "to_librarian"),
        acting_librarian=librarian,
    )
    return _with_thread(ticket.pk)


@staff_frame("ticket.move")
def ticket_move(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    ticket = actions.check_move_ticket(
        require_int(frame, "ticket_id"), campus=frame.get("campus"), acting_librarian=librarian
    )
    return _with_thread(ticket.pk)


@staff_frame("ticket.status")
def ticket_status(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    ticket = actions.check_set_ticket_state(
        require_int(frame, "ticket_id"), state=frame.get("state"), acting_librarian=librarian
    )
    return _with_thread(ticket.pk)


@staff_frame("ticket.note")
def ticket_note(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    ticket = actions.check_add_note(
        require_int(frame, "ticket_id"), acting_librarian=librarian, body=frame.get("body")
    )
    return _with_thread(ticket.pk)


def _reply(session_key: str, librarian_id: int, frame: Frame) -> actions.PreparedReply | None:
    librarian = access_librarian(session_key, librarian_id)
    _ticket, entry = actions.check_reply_ticket(
        require_int(frame, "ticket_id"),
        acting_librarian=librarian,
        client_id=frame.get("client_id"),
        body=frame.get("body"),
    )
    return actions.do_take_reply_attempt(entry.pk)


@staff_frame("ticket.reply", lane=None)
async def ticket_reply(console: Console, frame: Frame) -> dict[str, Any]:
    """Store the reply on the write lane, email it on a thread of its own (a slow mail
    server holds no lane), record the outcome; the ack carries the thread as it is then.
    A reply that could not be sent is kept ``unsent`` and the retry job sends it later."""
    prepared = await run_action(_reply, console.session_key, console.librarian_id, frame)
    if prepared is not None:
        error = await asyncio.to_thread(actions.send_email, prepared.message)
        await run_action(actions.do_record_reply_attempt, prepared, error=error)
    return await run_read(_with_thread, require_int(frame, "ticket_id"))


@staff_frame("chat.ticket")
def chat_ticket(librarian: Librarian, frame: Frame) -> dict[str, Any]:
    chat_id = require_int(frame, "chat_id")
    ticket = actions.check_ticket_chat_by_librarian(
        chat_id, acting_librarian=librarian, email=frame.get("email")
    )
    return {"chat_id": chat_id, "ticket_id": ticket.pk}


# ---------------------------------------------------------------------------
# The patron
# ---------------------------------------------------------------------------


@patron_frame("chat.to_ticket")
async def to_ticket(patron: Patron, frame: Frame) -> dict[str, Any]:
    ticket = await run_action(
        actions.check_ticket_chat_by_patron, patron.chat_id, email=frame.get("email")
    )
    return {"chat_id": patron.chat_id, "ticket_id": ticket.pk}


@patron_frame("transcript.request")
async def transcript_request(patron: Patron, frame: Frame) -> dict[str, Any]:
    """Email the chat's transcript; the mail server is talked to on a thread of its own.
    ``email_unsent`` when it could not be sent (nothing is kept: the patron may ask again)."""
    email = await run_action(
        actions.check_send_transcript, patron.chat_id, email=frame.get("email")
    )
    message = await run_read(actions.build_transcript_email, patron.chat_id, email=email)
    error = await asyncio.to_thread(actions.send_email, message)
    if error:
        raise ActionError(
            "email_unsent", "The transcript could not be sent just now; please try again later."
        )
    return {"email": email}
