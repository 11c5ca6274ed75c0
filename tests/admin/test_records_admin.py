"""Chats, tickets and audit entries in the admin: to read, never to change; after the
retention purge only what is left shows; hashed addresses and tokens never show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.chats import actions as chat_actions
from refdesk.chats.models import Chat, Message
from refdesk.core.models import AuditEntry
from refdesk.tickets import actions as ticket_actions
from refdesk.tickets.models import Ticket, TicketEntry


def a_chat(librarian: Librarian) -> Chat:
    chat, _token = chat_actions.do_create_chat(
        Campus.objects.get(slug="north"),
        patron_name="Sam <b>Patron</b>",
        patron_email="sam@example.edu",
        question="Where are the <script>alert(1)</script> atlases?",
    )
    chat_actions.do_claim_chat(chat.pk, acting_librarian=librarian)
    chat_actions.check_send_librarian_message(
        chat.pk, acting_librarian=librarian, client_id="l1", body="On floor 2 <i>east</i>"
    )
    Chat.objects.filter(pk=chat.pk).update(ip_hash="IPHASH-SECRET")
    chat.refresh_from_db()
    return chat


def a_ticket(librarian: Librarian) -> Ticket:
    ticket = ticket_actions.do_create_ticket(
        Campus.objects.get(slug="north"),
        patron_name="Ida",
        patron_email="ida@example.edu",
        question="Can you send the ILL form?",
        ip_hash="IPHASH-SECRET",
    )
    ticket_actions.check_add_note(ticket.pk, acting_librarian=librarian, body="Ask ILL desk")
    return ticket


def records() -> dict[str, Any]:
    return {
        "chats": list(Chat.objects.order_by("pk").values()),
        "messages": list(Message.objects.order_by("pk").values()),
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "entries": list(TicketEntry.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "supervisor"])
def test_supervisors_and_admins_read_a_chat_and_its_transcript_escaped(
    request: pytest.FixtureRequest, ana: Librarian, who: str
) -> None:
    client = request.getfixturevalue(f"{who}_client")
    chat = a_chat(ana)
    listing = client.get("/admin/chats/chat/?state__exact=active").content.decode()
    assert f"/admin/chats/chat/{chat.pk}/change/" in listing
    assert (
        client.get("/admin/chats/chat/?state__exact=ended")
        .content.decode()
        .count(f"/admin/chats/chat/{chat.pk}/change/")
        == 0
    )
    page = client.get(f"/admin/chats/chat/{chat.pk}/change/").content.decode()
    assert "Sam &lt;b&gt;Patron&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "On floor 2 &lt;i&gt;east&lt;/i&gt;" in page
    assert "<script>alert(1)" not in page
    assert "IPHASH-SECRET" not in page
    assert chat.token_hash not in page
    assert 'name="_save"' not in page


@pytest.mark.django_db
def test_a_purged_chat_shows_what_is_left(admin_client: Client, ana: Librarian) -> None:
    chat = a_chat(ana)
    chat_actions.do_end_chat(chat, reason="closed")
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - dt.timedelta(days=400))
    chat_actions.do_purge_expired_chats()
    page = admin_client.get(f"/admin/chats/chat/{chat.pk}/change/").content.decode()
    assert "Sam" not in page
    assert "atlases" not in page
    assert "floor 2" not in page
    assert "(text removed)" in page
    assert "purged-" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "supervisor"])
def test_supervisors_and_admins_read_a_ticket_and_its_thread(
    request: pytest.FixtureRequest, ana: Librarian, who: str
) -> None:
    client = request.getfixturevalue(f"{who}_client")
    ticket = a_ticket(ana)
    listing = client.get("/admin/tickets/ticket/?state__exact=new").content.decode()
    assert f"/admin/tickets/ticket/{ticket.pk}/change/" in listing
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Can you send the ILL form?" in page
    assert "Ask ILL desk" in page
    assert "IPHASH-SECRET" not in page
    assert 'name="_save"' not in page


@pytest.mark.django_db
def test_a_purged_ticket_shows_what_is_left(admin_client: Client, ana: Librarian) -> None:
    ticket = a_ticket(ana)
    old = timezone.now() - dt.timedelta(days=400)
    # The ticket's history is set up as a year-old closed ticket: the purge's own input.
    Ticket.objects.filter(pk=ticket.pk).update(state="closed", closed_at=old)
    ticket_actions.do_purge_expired_tickets()
    page = admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "ILL" not in page
    assert "ida@example.edu" not in page
    assert "(text removed)" in page


@pytest.mark.django_db
def test_the_audit_entries_are_read_by_admins_only(
    admin_client: Client, supervisor_client: Client, librarian_client: Client
) -> None:
    entry = AuditEntry.objects.filter(action="campus.add").first()
    assert entry is not None
    assert (
        "North Campus Library (north)"
        in admin_client.get("/admin/core/auditentry/").content.decode()
    )
    assert admin_client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    for url in ("/admin/core/auditentry/", f"/admin/core/auditentry/{entry.pk}/change/"):
        assert supervisor_client.get(url).status_code == 403
        assert librarian_client.get(url)["Location"] == f"/admin/login/?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "supervisor"])
def test_nobody_adds_changes_or_deletes_chats_tickets_or_audit_entries(
    request: pytest.FixtureRequest, ana: Librarian, who: str
) -> None:
    client = request.getfixturevalue(f"{who}_client")
    chat, ticket = a_chat(ana), a_ticket(ana)
    entry = AuditEntry.objects.first()
    assert entry is not None
    before = records()
    for base, pk in (
        ("/admin/chats/chat/", chat.pk),
        ("/admin/tickets/ticket/", ticket.pk),
        ("/admin/core/auditentry/", entry.pk),
    ):
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}add/", {"state": "ended"}).status_code == 403
        assert client.post(f"{base}{pk}/change/", {"state": "ended"}).status_code == 403
        assert client.get(f"{base}{pk}/delete/").status_code == 403
        assert client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
        response = client.post(
            base, {"action": "delete_selected", "_selected_action": [str(pk)], "post": "yes"}
        )
        assert response.status_code in {200, 302, 403}
    assert records() == before


@pytest.mark.django_db
def test_a_librarian_is_sent_to_the_admin_login_for_chats_and_tickets(
    librarian_client: Client, ana: Librarian
) -> None:
    chat, ticket = a_chat(ana), a_ticket(ana)
    for url in (
        "/admin/chats/chat/",
        f"/admin/chats/chat/{chat.pk}/change/",
        "/admin/tickets/ticket/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
    ):
        response = librarian_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"
