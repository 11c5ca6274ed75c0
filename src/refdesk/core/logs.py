"""What the server's logs may say: no patron address and no bearer token.

uvicorn's error log writes a line per websocket handshake with the client's address and
the whole path, and a patron socket's path holds the chat's token, a bearer secret the
desk otherwise keeps only as a hash. Every handler of the server's logs carries
:class:`RedactFilter`, which rewrites such lines before they are written: tokens in paths
become ``[token]`` and addresses become ``[address]``. The access log, which lists
addresses by design, is off unless ``REFDESK_ACCESS_LOG=1``; even then its paths lose
their tokens.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# The path segment after these prefixes is a patron's bearer token.
_TOKEN_PATH = re.compile(r"(/(?:ws/patron|tickets|api/tickets)/)[^/\s\"'?#]+")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])")
# IPv6: a "::" run or at least four colon-separated hex groups, optionally with a port
# (uvicorn writes "host:port" without brackets); clock times have at most two colons.
_IPV6 = re.compile(
    r"(?<![\w:])\[?(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\]?(?::\d{1,5})?(?![\w:])"
)
_ACCESS_ARGS = 5  # uvicorn.access: client, method, path, HTTP version, status
# uvicorn's start-up lines name the address the server listens on, not a client's.
_SERVER_LINES = ("Uvicorn running on ", "Started server process")


def redact_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1[token]", text)


def _ipv6(match: re.Match[str]) -> str:
    found = match.group(0)
    return "[address]" if "::" in found or found.count(":") >= 4 else found  # noqa: PLR2004


def redact(text: str) -> str:
    """``text`` without patron tokens in paths and without IP addresses."""
    text = _IPV4.sub("[address]", redact_tokens(text))
    return _IPV6.sub(_ipv6, text)


class RedactFilter(logging.Filter):
    """Rewrite a record so that it names no token (and, unless ``addresses``, no address).

    ``addresses=True`` is for the opt-in access log only.
    """

    def __init__(self, name: str = "", *, addresses: bool = False) -> None:
        super().__init__(name)
        self.addresses = addresses

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple):
            if len(args) == _ACCESS_ARGS:
                client, method, path, version, status = args
                if not self.addresses:
                    client = "[address]"
                record.args = (client, method, redact_tokens(str(path)), version, status)
            return True
        if isinstance(record.msg, str) and record.msg.startswith(_SERVER_LINES):
            return True  # the server's own address, which the operator needs to see
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact_tokens(message) if self.addresses else redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def server_log_config(base: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging configuration ``base`` with the redaction on every handler."""
    config = copy.deepcopy(base)
    filters = config.setdefault("filters", {})
    filters["redact"] = {"()": RedactFilter}
    filters["redact_access"] = {"()": RedactFilter, "addresses": True}
    for name, handler in config.get("handlers", {}).items():
        handler.setdefault("filters", []).append("redact_access" if name == "access" else "redact")
    return config
