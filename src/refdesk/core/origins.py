"""Which origins may open a websocket: the desk's own hosts and the embedding sites."""

from __future__ import annotations

from urllib.parse import urlparse


def allowed_socket_origins(allowed_hosts: list[str], embed_origins: list[str]) -> list[str]:
    """Host patterns in the form Channels' ``OriginValidator`` matches.

    ``*`` in the allowed hosts is not passed on: a wildcard would let any site's page open
    a librarian's socket with their cookie.
    """
    hosts = [h for h in allowed_hosts if h != "*"]
    hosts += [urlparse(o).netloc for o in embed_origins if urlparse(o).netloc]
    return hosts
