"""Replies by email through a real SMTP server: what arrives, the link it carries, the
patron's answer from the page's API, and a reply kept while the server is down."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.core.realtime import STAFF_GROUP
from refdesk.tickets import actions
from refdesk.tickets.jobs import send_due_replies
from refdesk.tickets.models import SendState, Ticket, TicketEntry, TicketState
from tests.support import ANY, assert_events_exactly, capture_events
from tests.support.mail import SMTPServer, parts

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://desk\.example\.edu/tickets/([A-Za-z0-9_-]{40,})/")


@pytest.fixture(autouse=True)
def public_url(settings: Any) -> None:
    settings.REFDESK = {**settings.REFDESK, "PUBLIC_URL": "http://desk.example.edu"}


@pytest.fixture
def ana(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ana", campus="north")


def reply(ticket: Ticket, ana: Librarian, body: str, client_id: str = "r1") -> TicketEntry:
    _ticket, entry = actions.check_reply_ticket(
        ticket.pk, acting_librarian=ana, client_id=client_id, body=body
    )
    return entry


def test_a_reply_arrives_as_text_and_html_with_the_question_and_a_link_that_answers(
    smtp_server: SMTPServer, ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket(question="Can I renew <b>a laptop</b> loan?")
    actions.check_add_note(ticket.pk, acting_librarian=ana, body="SECRET: Ben knows.")
    entry = reply(ticket, ana, "Yes, <script>x</script> at the desk.\nBring your card.")
    assert actions.do_send_reply(entry.pk) is True

    (mail,) = smtp_server.wait_for(1)
    assert (mail["From"], mail["To"]) == ("desk@lib.example.edu", "sam@example.edu")
    text, html = parts(mail)
    assert "Yes, <script>x</script> at the desk.\nBring your card." in text
    assert "Can I renew <b>a laptop</b> loan?" in text
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;b&gt;a laptop&lt;/b&gt;" in html
    assert "SECRET" not in text + html
    (token,) = set(LINK.findall(text))
    assert token in html
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.token_hash and token not in stored.token_hash
    sent = TicketEntry.objects.get(pk=entry.pk)
    assert (sent.send_state, sent.send_attempts, sent.last_error) == (SendState.SENT, 1, "")

    # The link opens the page and the API, without the note.
    client = Client()
    assert client.get(f"/tickets/{token}/").status_code == 200
    view = client.get(f"/api/tickets/{token}").json()
    assert [e["kind"] for e in view["thread"]] == ["reply"]
    assert "SECRET" not in json.dumps(view)
    assert client.get(f"/api/tickets/{token[:-1]}x").status_code == 404
    assert client.get("/tickets/nothing-here/").status_code == 404

    # The patron answers: the ticket opens again and every console hears of it.
    actions.check_set_ticket_state(ticket.pk, state="closed", acting_librarian=ana)
    with capture_events() as events:
        answered = client.post(
            f"/api/tickets/{token}/replies",
            json.dumps({"body": "Thanks! <img src=x onerror=alert(1)>"}),
            content_type="application/json",
        )
    assert answered.status_code == 201
    assert [e["kind"] for e in answered.json()["thread"]] == ["reply", "patron"]
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert (reopened.state, reopened.closed_at) == (TicketState.OPEN, None)
    assert_events_exactly(
        events,
        [
            (
                STAFF_GROUP,
                {
                    "type": "ticket.updated",
                    "ticket": {**ANY_TICKET, "id": ticket.pk, "state": "open"},
                    "previous_state": "closed",
                },
            )
        ],
    )
    assert TicketEntry.objects.filter(kind="patron").get().body == (
        "Thanks! <img src=x onerror=alert(1)>"
    )


ANY_TICKET: dict[str, Any] = dict.fromkeys(
    (
        "campus",
        "campus_name",
        "name",
        "email",
        "question",
        "created_at",
        "source",
        "chat_id",
        "owner",
        "owner_id",
        "updated_at",
        "closed_at",
    ),
    ANY,
)


def test_a_reply_kept_while_the_mail_server_is_down_goes_out_when_it_is_back(
    smtp_server: SMTPServer, ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    smtp_server.stop()
    entry = reply(ticket, ana, "The answer, at last.")
    with capture_events() as events:
        assert actions.do_send_reply(entry.pk) is False
    kept = TicketEntry.objects.get(pk=entry.pk)
    assert (kept.send_state, kept.send_attempts, kept.body) == (
        SendState.UNSENT,
        1,
        "The answer, at last.",
    )
    assert kept.last_error.startswith("ConnectionRefusedError")
    assert kept.next_attempt_at is not None
    assert kept.next_attempt_at - timezone.now() > dt.timedelta(seconds=20)
    assert [e.event["type"] for e in events] == ["ticket.updated"]
    # The librarian sees it unsent in the thread.
    from refdesk.tickets.selectors import get_ticket, ticket_with_thread

    shown = get_ticket(ticket.pk)
    assert shown is not None
    assert ticket_with_thread(shown)["thread"][0]["send_state"] == "unsent"
    # Not due yet: the job leaves it.
    async_to_sync(send_due_replies)()
    assert TicketEntry.objects.get(pk=entry.pk).send_attempts == 1

    smtp_server.start()
    TicketEntry.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now())
    async_to_sync(send_due_replies)()
    (mail,) = smtp_server.wait_for(1)
    assert "The answer, at last." in parts(mail)[0]
    sent = TicketEntry.objects.get(pk=entry.pk)
    assert (sent.send_state, sent.send_attempts, sent.last_error) == (SendState.SENT, 2, "")
    # Sent once: the job does not send it again.
    async_to_sync(send_due_replies)()
    assert len(smtp_server.messages) == 1


def test_the_retry_delay_doubles_up_to_an_hour() -> None:
    delays = [actions.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 8, 30)]
    assert delays == [30, 60, 120, 240, 3600, 3600]


def test_a_transcript_is_emailed_with_the_messages(smtp_server: SMTPServer, ana: Librarian) -> None:
    from refdesk.campuses.models import Campus
    from refdesk.chats import actions as chat_actions

    chat, _token = chat_actions.do_create_chat(
        Campus.objects.get(slug="north"),
        patron_name="Sam",
        patron_email="",
        question="Where is <the> atlas?",
    )
    chat_actions.do_claim_chat(chat.pk, acting_librarian=ana)
    address = actions.check_send_transcript(chat.pk, email="sam@example.edu")
    message = actions.build_transcript_email(chat.pk, email=address)
    assert actions.send_email(message) == ""
    (mail,) = smtp_server.wait_for(1)
    text, html = parts(mail)
    assert "Where is <the> atlas?" in text
    assert "Where is &lt;the&gt; atlas?" in html
    assert mail["To"] == "sam@example.edu"


def test_patron_answers_are_rate_limited_as_new_tickets_are(
    smtp_server: SMTPServer, ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    entry = reply(ticket, ana, "Hello.")
    actions.do_send_reply(entry.pk)
    (token,) = set(LINK.findall(parts(smtp_server.wait_for(1)[0])[0]))
    client = Client()
    codes = [
        client.post(
            f"/api/tickets/{token}/replies",
            json.dumps({"body": f"answer {n}", "browser": "b" * 32}),
            content_type="application/json",
        ).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert TicketEntry.objects.filter(kind="patron").count() == 3
    # Oversize and empty answers are refused and store nothing.
    for body, status in (("x" * 4001, 400), ("", 400), (None, 400)):
        response = Client(REMOTE_ADDR="198.51.100.7").post(
            f"/api/tickets/{token}/replies",
            json.dumps({"body": body}),
            content_type="application/json",
        )
        assert response.status_code == status
    assert TicketEntry.objects.filter(kind="patron").count() == 3


def test_the_purge_blanks_the_thread_and_the_link_stops_opening_it(
    smtp_server: SMTPServer, ana: Librarian, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()
    actions.check_add_note(ticket.pk, acting_librarian=ana, body="note")
    entry = reply(ticket, ana, "Hello.")
    actions.do_send_reply(entry.pk)
    smtp_server.stop()
    unsent = reply(ticket, ana, "Second.", client_id="r2")
    (token,) = set(LINK.findall(parts(smtp_server.wait_for(1)[0])[0]))
    actions.check_set_ticket_state(ticket.pk, state="closed", acting_librarian=ana)
    later = timezone.now() + dt.timedelta(days=400)
    assert actions.do_purge_expired_tickets(now=later) == 1
    assert set(TicketEntry.objects.values_list("body", flat=True)) == {""}
    assert TicketEntry.objects.get(pk=unsent.pk).send_state == ""
    assert Ticket.objects.get(pk=ticket.pk).token_hash is None
    assert Client().get(f"/api/tickets/{token}").status_code == 404
