"""The emails the desk sends a patron: a librarian's reply to a ticket, and a chat's
transcript. Plain text and HTML; every body is escaped in the HTML part."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, linebreaks

from refdesk.chats.events import MessageEvent
from refdesk.tickets.models import Ticket, TicketEntry


def ticket_link(token: str) -> str:
    """The patron's page of a ticket under ``REFDESK_PUBLIC_URL``."""
    return f"{settings.REFDESK['PUBLIC_URL']}/tickets/{token}/"


def _html(paragraphs: Sequence[tuple[str, str]], link: tuple[str, str] | None = None) -> str:
    """A small HTML body: each (heading, text) escaped, line breaks kept."""
    parts = ['<html><body style="font-family: sans-serif; line-height: 1.5">']
    for heading, text in paragraphs:
        if heading:
            parts.append(f"<h2 style='font-size: 1em'>{escape(heading)}</h2>")
        # linebreaks() escapes its text when autoescape is on.
        parts.append(linebreaks(text, autoescape=True))
    if link is not None:
        label, url = link
        parts.append(f'<p><a href="{escape(url)}">{escape(label)}</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def reply_email(ticket: Ticket, entry: TicketEntry, token: str) -> EmailMultiAlternatives:
    """A librarian's reply, with the original question and the link to answer it."""
    campus = ticket.campus.name
    link = ticket_link(token)
    text = (
        f"{entry.body}\n\n"
        f"— {entry.author_name or campus}, {campus}\n\n"
        f"Your question:\n{ticket.question}\n\n"
        f"To answer, or to read the whole conversation, open:\n{link}\n"
    )
    message = EmailMultiAlternatives(
        subject=f"Your question to {campus}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[ticket.patron_email],
    )
    message.attach_alternative(
        _html(
            [
                ("", entry.body),
                ("", f"— {entry.author_name or campus}, {campus}"),
                ("Your question", ticket.question),
            ],
            link=("Answer or read the whole conversation", link),
        ),
        "text/html",
    )
    return message


def transcript_email(
    email: str, *, campus_name: str, messages: Sequence[MessageEvent]
) -> EmailMultiAlternatives:
    """A chat's transcript, as the patron saw it."""
    lines = []
    for line in messages:
        who = line["sender_name"] or {"patron": "You", "librarian": "Librarian"}.get(
            line["sender"], campus_name
        )
        lines.append((who, line["body"]))
    text = "\n\n".join(f"{who}:\n{body}" for who, body in lines)
    message = EmailMultiAlternatives(
        subject=f"Your chat with {campus_name}",
        body=f"The transcript of your chat with {campus_name}.\n\n{text}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
    )
    message.attach_alternative(
        _html([("", f"The transcript of your chat with {campus_name}."), *lines]), "text/html"
    )
    return message
