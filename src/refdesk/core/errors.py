"""The one error type actions raise for a refused request."""

from __future__ import annotations

from typing import Any

# HTTP status for each error code; sockets send the code in an ``error`` frame.
STATUS_FOR_CODE: dict[str, int] = {
    "invalid": 400,
    "bad_json": 400,
    "too_long": 400,
    "forbidden": 403,
    "not_found": 404,
    "unknown_campus": 404,
    "offline": 409,
    "already_claimed": 409,
    "chat_ended": 409,
    "not_yours": 403,
    "rate_limited": 429,
}


class ActionError(Exception):
    """A request the desk refuses, with a stable ``code`` and a sentence for people."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return STATUS_FOR_CODE.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}
