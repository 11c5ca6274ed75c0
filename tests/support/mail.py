"""A real SMTP server for the tests (aiosmtpd), and the settings that point Django's SMTP
backend at it. The server can be stopped and started again on the same port, to show a
mail server that is down."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class _Inbox:
    """What the server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 with an inbox; ``stop()`` and ``start()`` take it down
    and bring it back on the same port."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.inbox.messages)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The first ``count`` messages, once that many have arrived."""
        with self.inbox.arrived:
            if not self.inbox.arrived.wait_for(
                lambda: len(self.inbox.messages) >= count, timeout=timeout
            ):
                raise AssertionError(f"{count} emails expected, {len(self.inbox.messages)} came")
        return self.messages[:count]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    """A running SMTP server that Django's SMTP backend sends to."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "desk@lib.example.edu"
    try:
        yield server
    finally:
        server.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and HTML parts of an email."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # SMTP carries CRLF line ends; compare with the text as written.
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")
