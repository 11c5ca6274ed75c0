"""The one error type actions raise for a refused request."""

from __future__ import annotations

from typing import Any

from refdesk.core.protocol import error_codes


class ActionError(Exception):
    """A request the desk refuses, with a stable ``code`` and a sentence for people.

    The code must be declared (``core.protocol.declare_error_codes``, in the ``events.py``
    of the app that raises it), so that every code a client can meet is documented.
    """

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        if code not in error_codes():
            raise ValueError(f"undeclared error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return error_codes()[self.code]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}
