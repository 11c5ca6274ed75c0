"""The wire protocol's registries: what each socket sends and accepts, and every error
code, declared by the apps that send, accept and raise them (in their ``events.py``).

The contract test (tests/test_protocol_contract.py) reads these registries: every type a
socket sends is declared here with its shapes, documented in docs/protocol.md and handled
by the JavaScript client; every frame a socket accepts is declared with its fields; every
error code is in the docs' table. ``ActionError`` refuses a code nobody declared.
"""

from __future__ import annotations

from typing import Literal

Socket = Literal["patron", "staff"]
SOCKETS: tuple[Socket, ...] = ("patron", "staff")

_sends: dict[Socket, dict[str, tuple[type, ...]]] = {"patron": {}, "staff": {}}
_accepts: dict[Socket, dict[str, type]] = {"patron": {}, "staff": {}}
_error_codes: dict[str, int] = {}


def declare_sends(socket: Socket, events: dict[str, tuple[type, ...]]) -> None:
    """``socket`` sends each event type in one of the given shapes (``TypedDict``s); a type
    declared by several apps (``ack``) collects every app's shapes."""
    for name, shapes in events.items():
        known = _sends[socket].get(name, ())
        _sends[socket][name] = known + tuple(shape for shape in shapes if shape not in known)


def declare_accepts(socket: Socket, frames: dict[str, type]) -> None:
    """``socket`` accepts each client frame type, with the fields of its ``TypedDict``."""
    _accepts[socket].update(frames)


def declare_error_codes(codes: dict[str, int]) -> None:
    """Error codes an app's actions may raise, each with its HTTP status."""
    _error_codes.update(codes)


def sends(socket: Socket) -> dict[str, tuple[type, ...]]:
    return dict(_sends[socket])


def accepts(socket: Socket) -> dict[str, type]:
    return dict(_accepts[socket])


def server_event_types() -> dict[str, tuple[type, ...]]:
    """Every type either socket sends, with every shape it takes."""
    merged: dict[str, tuple[type, ...]] = {}
    for socket in SOCKETS:
        for name, shapes in _sends[socket].items():
            known = merged.get(name, ())
            merged[name] = known + tuple(shape for shape in shapes if shape not in known)
    return merged


def error_codes() -> dict[str, int]:
    """Every declared error code, with its HTTP status (400 where it has none of its own)."""
    return dict(_error_codes)
