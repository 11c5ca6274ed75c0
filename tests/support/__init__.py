"""What many tests share: sockets through the real routing, and the exact events an action
sends. Tests import from here, never from the consumers."""

from tests.support.chats import NO_ACTIVE_TIMERS, NOT_WAITING_TIMERS
from tests.support.events import (
    ANY,
    Matches,
    SentEvent,
    assert_events_exactly,
    capture_events,
    presence_event,
)
from tests.support.sockets import (
    TIMEOUT,
    answer_to,
    close,
    closed_with,
    communicator,
    console_registry,
    consumer_classes,
    handshake,
    open_patron,
    open_socket,
    open_staff,
    receive_until,
    recheck_console_sessions,
    session_cookie,
    staff_snapshot,
)

__all__ = [
    "ANY",
    "NOT_WAITING_TIMERS",
    "NO_ACTIVE_TIMERS",
    "TIMEOUT",
    "Matches",
    "SentEvent",
    "answer_to",
    "assert_events_exactly",
    "capture_events",
    "close",
    "closed_with",
    "communicator",
    "console_registry",
    "consumer_classes",
    "handshake",
    "open_patron",
    "open_socket",
    "open_staff",
    "presence_event",
    "receive_until",
    "recheck_console_sessions",
    "session_cookie",
    "staff_snapshot",
]
