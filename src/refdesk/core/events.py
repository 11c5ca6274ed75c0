"""The envelope's own shapes, and the error codes the frame handling and the shared
cleaning raise.

This module (like every ``events.py``) does not use ``from __future__ import
annotations``: on Python 3.11 a ``TypedDict`` only sorts ``NotRequired`` keys into
``__optional_keys__`` when the annotations are real objects, and the contract test
relies on that split.
"""

from typing import Literal, NotRequired, TypedDict

from refdesk.core.protocol import declare_error_codes, declare_sends

# What a client frame's ``ref`` may be; anything else is treated as absent.
Ref = str | int

declare_error_codes(
    {
        # The frame itself (core.consumers.FrameConsumer.receive), and HTTP bodies.
        "bad_frame": 400,
        "bad_json": 400,
        "too_large": 400,
        "unknown_type": 400,
        # Fields, and whatever the actions refuse for everyone.
        "invalid": 400,
        "too_long": 400,
        "forbidden": 403,
        "not_found": 404,
        # Setup: a campus that librarians, chats or tickets still use is not deleted.
        "in_use": 409,
        "rate_limited": 429,
        "too_many_connections": 503,
        "internal": 500,
    }
)


class ErrorEvent(TypedDict):
    """``error``: a refused frame, or a refused connection just before it is closed.

    ``ref`` is present only when the frame carried a usable one; the other optional keys
    depend on ``code`` (see docs/protocol.md).
    """

    type: Literal["error"]
    code: str
    message: str
    ref: NotRequired[Ref]
    field: NotRequired[str]
    limit: NotRequired[int]
    chat_id: NotRequired[int]
    by: NotRequired[str | None]
    by_id: NotRequired[int | None]
    end_reason: NotRequired[str]
    # Seconds until the socket may send again (``rate_limited``).
    retry_after: NotRequired[float]


declare_sends("patron", {"error": (ErrorEvent,)})
declare_sends("staff", {"error": (ErrorEvent,)})
