"""Parts of a chat summary that many exact-event tests spell out."""

from __future__ import annotations

from typing import Any

# A summary's timer and transfer fields once the chat no longer waits and has no pending
# transfer (an ended chat, or an active one that nobody is offered).
NOT_WAITING_TIMERS: dict[str, Any] = {
    "waiting_since": None,
    "home_until": None,
    "home_ended_at": None,
    "ticket_offer_at": None,
    "offer_to_id": None,
    "offer_expires_at": None,
}

# A summary's active-chat timers while the chat is not active (waiting or ended).
NO_ACTIVE_TIMERS: dict[str, Any] = {
    "patron_waiting_since": None,
    "patron_silent_since": None,
    "silent_asked_at": None,
}
