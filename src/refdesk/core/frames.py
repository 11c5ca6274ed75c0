"""The frames each socket accepts and the parts of the console's snapshot, as registries
that the domain apps fill; the sockets in the faces (``widget``, ``console``) only look
them up.

An app declares, in its ``frames.py``, each frame it handles with the role it needs and
the handler that validates its fields and calls the app's actions:

- ``@staff_frame("chat.claim")`` on ``def claim(librarian, frame) -> dict | None``: runs
  on a database lane (``lane="write"`` or ``"read"``) in one call with the check that the
  console's session is still live and its librarian has the ``role`` (read afresh, so a
  logout or a demotion counts at once);
- ``@staff_frame("message.send", lane=None)`` on ``async def send(console, frame)``: runs
  on the event loop and checks what it needs itself (the message pipeline re-checks the
  session with its batch);
- ``@patron_frame("typing")`` on ``async def typing(patron, frame)``: the token already
  decided the chat;
- ``@snapshot_part(order=…)`` on ``def part(librarian, after) -> dict``: the keys it adds
  to the console's ``snapshot``, read in one database call with the other parts; parts
  that need the same rows read them once, through :func:`snapshot_read`.

The returned dict is the ``ack`` (``None``: no ack, as for ``typing``); an
``ActionError`` becomes an ``error`` frame.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from django.utils import timezone

Frame = dict[str, Any]
Answer = dict[str, Any] | None
Role = Literal["librarian", "supervisor"]
Lane = Literal["write", "read"]


class Console(Protocol):
    """What an asynchronous staff frame handler knows of the console it came from."""

    channel_name: str
    session_key: str

    @property
    def librarian_id(self) -> int: ...

    @property
    def librarian_name(self) -> str: ...

    async def watch(self, chat_id: int) -> None:
        """Start getting a chat's lines and staff-only events (its groups)."""

    async def unwatch(self, chat_id: int) -> None:
        """Stop watching a chat; nothing when it was not watched."""


class Patron(Protocol):
    """What a patron frame handler knows of the patron socket it came from: the chat the
    token opened, and what the socket has seen of it (its state, its librarian)."""

    channel_name: str
    chat_id: int
    chat_state: str
    librarian_id: int | None


SyncStaffHandler = Callable[[Any, Frame], Answer]
AsyncStaffHandler = Callable[[Console, Frame], Awaitable[Answer]]
PatronHandler = Callable[[Patron, Frame], Awaitable[Answer]]
SnapshotPart = Callable[[Any, int], dict[str, Any]]


@dataclass(frozen=True)
class StaffFrame:
    """A staff frame type: ``handler`` runs on ``lane`` with the live librarian (who must
    have ``role``), or, with no lane, on the event loop with the console."""

    type: str
    role: Role
    lane: Lane | None
    # A SyncStaffHandler with a lane, an AsyncStaffHandler without.
    handler: Callable[..., Any]


_staff: dict[str, StaffFrame] = {}
_patron: dict[str, PatronHandler] = {}
_snapshot: list[tuple[int, SnapshotPart]] = []


def staff_frame(
    frame_type: str, *, role: Role = "librarian", lane: Lane | None = "write"
) -> Callable[[Any], Any]:
    """Register the decorated function as the handler of the staff frame ``frame_type``."""

    def register(handler: Any) -> Any:
        _staff[frame_type] = StaffFrame(frame_type, role, lane, handler)
        return handler

    return register


def patron_frame(frame_type: str) -> Callable[[PatronHandler], PatronHandler]:
    """Register the decorated coroutine as the handler of the patron frame ``frame_type``."""

    def register(handler: PatronHandler) -> PatronHandler:
        _patron[frame_type] = handler
        return handler

    return register


def snapshot_part(*, order: int) -> Callable[[SnapshotPart], SnapshotPart]:
    """Register the decorated function as a part of the console's snapshot; parts are
    read in ``order`` and their keys follow ``type`` in that order."""

    def register(part: SnapshotPart) -> SnapshotPart:
        _snapshot.append((order, part))
        _snapshot.sort(key=lambda item: item[0])
        return part

    return register


def staff_frames() -> dict[str, StaffFrame]:
    """Every staff frame type the console socket accepts."""
    return dict(_staff)


def patron_frames() -> dict[str, PatronHandler]:
    """Every patron frame type the patron socket accepts."""
    return dict(_patron)


_T = TypeVar("_T")

# What the parts of the snapshot being built have read, by key (None: no snapshot).
_snapshot_reads: ContextVar[dict[str, Any] | None] = ContextVar("snapshot_reads", default=None)


def snapshot_read(key: str, read: Callable[[], _T]) -> _T:
    """``read()``, done once per snapshot: the first part that asks reads, the others get
    the same result (outside a snapshot it simply reads)."""
    reads = _snapshot_reads.get()
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    result: _T = reads[key]
    return result


def build_snapshot(librarian: Any, after: int) -> dict[str, Any]:
    """The console's ``snapshot`` frame: every registered part, in order, in the caller's
    one database call."""
    # The server's clock, so that a console whose clock is off still counts down to the
    # times the server set (the home-campus window).
    snapshot: dict[str, Any] = {"type": "snapshot", "server_time": timezone.now().isoformat()}
    token = _snapshot_reads.set({})
    try:
        for _order, part in _snapshot:
            snapshot.update(part(librarian, after))
    finally:
        _snapshot_reads.reset(token)
    return snapshot
