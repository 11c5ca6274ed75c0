"""Which pages may open a websocket or call the patron API.

A browser sends ``Origin`` with every websocket handshake and with every cross-site
request. Two circles of trust:

- **the desk's own origins**: the origin whose scheme, host and port are the desk's as
  this request reached it (``https`` when the request came over TLS, directly or through a
  trusted proxy, else ``http``; the host one of ``ALLOWED_HOSTS``), or one listed exactly
  in ``REFDESK_CSRF_TRUSTED_ORIGINS``. The staff socket accepts nothing else: a script on
  a campus page (a compromised CMS, one XSS, any third-party tag) runs on an embedding
  origin, and the librarian's cookie goes with its requests, because the campus site and
  the desk are usually the same *site* and ``SameSite=Lax`` does not tell them apart.
- **the patron's side** also accepts the configured embedding sites
  (``REFDESK_EMBED_ORIGINS``, scheme and all). The widget itself never needs them (its
  frame runs on the desk's origin), but a campus may build its own patron client on the
  documented API; patron sockets and endpoints carry no cookie, only the chat's token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = dict[str, Any]


def is_desk_origin(origin: str, host: str, *, secure: bool) -> bool:
    """Whether ``origin`` is the desk itself, as reached at ``host`` (over TLS or not)."""
    if origin in settings.CSRF_TRUSTED_ORIGINS and "*" not in origin:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme != ("https" if secure else "http") or not parts.netloc:
        return False
    domain, _port = split_domain_port(host)
    return parts.netloc == host and bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def origin_allowed(origin: str, host: str, *, secure: bool, embedding: bool) -> bool:
    """Whether a request from ``origin`` is accepted: the desk's own origins, and with
    ``embedding`` also the configured embedding sites."""
    if embedding and origin in settings.EMBED_ORIGINS:
        return True
    return is_desk_origin(origin, host, secure=secure)


class OriginCheck:
    """ASGI middleware for websockets: refuse a handshake from an origin not allowed.

    ``embedding=False`` (the staff socket) accepts only the desk's own origins.
    """

    def __init__(self, app: Any, *, embedding: bool) -> None:
        self.app = app
        self.embedding = embedding

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        secure = scope.get("scheme") == "wss"
        if not origin_allowed(origin, host, secure=secure, embedding=self.embedding):
            # Close before accepting: the server answers the handshake with 403.
            await receive()
            await send({"type": "websocket.close", "code": 4403})
            return
        await self.app(scope, receive, send)
