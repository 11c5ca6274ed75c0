"""Which pages may open a websocket: the desk's own, and the configured embedding sites.

A browser sends ``Origin`` with every websocket handshake; another site's page that
tries to open a librarian's socket with their cookie is refused before the handshake
completes. Accepted: an origin whose host and port equal the request's ``Host`` (the
desk's own pages) when that host is one of ``ALLOWED_HOSTS``, or an origin equal, scheme
and all, to one of ``REFDESK_EMBED_ORIGINS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = dict[str, Any]


def origin_allowed(origin: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    if f"{parts.scheme}://{parts.netloc}" in settings.EMBED_ORIGINS:
        return True
    domain, _port = split_domain_port(host)
    return parts.netloc == host and bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class OriginCheck:
    """ASGI middleware for websockets: refuse a handshake from a foreign origin."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        if not origin_allowed(origin, host):
            # Close before accepting: the server answers the handshake with 403.
            await receive()
            await send({"type": "websocket.close", "code": 4403})
            return
        await self.app(scope, receive, send)
