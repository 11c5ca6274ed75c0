"""A script on an embedding site, in a real browser with a librarian logged in."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import EMBEDDING_PORT, EMBEDDING_SITE, Contexts, Desk, log_in

CAMPUS_PAGE = "<!doctype html><html lang=en><title>Campus</title><p>North campus news</p>"

# Resolves with the first frame the socket gets (it was accepted) or with its close
# (it was refused): whichever happens first, with no waiting on a clock.
OPEN_SOCKET = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onmessage = (event) => {
    resolve({accepted: true, first: JSON.parse(event.data).type});
    ws.close();
  };
  ws.onclose = (event) => resolve({accepted: false, code: event.code});
})"""


class CampusSite(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = CAMPUS_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def campus_site() -> Iterator[str]:
    """The embedding site: a web server of its own, on the same host as the desk."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", EMBEDDING_PORT), CampusSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield EMBEDDING_SITE
    server.shutdown()
    server.server_close()


def campus_page(context: Any, site: str) -> Any:
    page = context.new_page()
    page.goto(f"{site}/news.html")
    return page


def test_a_script_on_a_campus_page_cannot_open_the_librarians_console_socket(
    desk: Desk, contexts: Contexts, campus_site: str
) -> None:
    context = contexts.new()
    # The librarian is logged in: the console on the desk's own origin connects.
    log_in(context, desk, "ana")
    socket_url = desk.url.replace("http://", "ws://") + "/ws/staff/"
    page = campus_page(context, campus_site)
    assert page.evaluate("location.origin") == campus_site
    assert page.evaluate(OPEN_SOCKET, socket_url) == {"accepted": False, "code": 1006}


def test_a_campus_page_may_still_open_a_patron_socket(
    desk: Desk, contexts: Contexts, campus_site: str
) -> None:
    page = campus_page(contexts.new(), campus_site)
    # The patron's side is open to the embedding site: a patron socket with no valid
    # token is accepted and told so, rather than refused at the handshake.
    socket_url = desk.url.replace("http://", "ws://") + "/ws/patron/not-a-token/"
    assert page.evaluate(OPEN_SOCKET, socket_url) == {"accepted": True, "first": "error"}
