"""Deactivating a librarian takes effect at once: their sessions end, their consoles close
with 4401, they go offline, their chats go back to their queues and their open tickets
stay, unassigned. Reactivating changes the account and writes its audit entry, nothing
more."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from refdesk.accounts.actions import do_open_console, do_update_librarian
from refdesk.accounts.models import ConsoleConnection, Librarian
from refdesk.accounts.selectors import list_session_keys_of_user
from refdesk.campuses.models import Campus
from refdesk.chats.actions import do_claim_chat, do_create_chat
from refdesk.chats.models import Chat, ChatEvent, Message
from refdesk.chats.selectors import get_chat_for_staff
from refdesk.core.models import AuditEntry
from refdesk.core.realtime import PATRONS_GROUP, STAFF_GROUP
from refdesk.tickets.actions import check_set_ticket_state, do_claim_ticket, do_create_ticket
from refdesk.tickets.models import Ticket, TicketEvent
from refdesk.tickets.selectors import ticket_summary
from tests.support import (
    TIMEOUT,
    answer_to,
    assert_events_exactly,
    capture_events,
    close,
    closed_with,
    open_patron,
    open_staff,
    presence_event,
    receive_until,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

DEACTIVATED_LINE = "Ana is no longer available. Another librarian will pick up your chat shortly."


@pytest.fixture
def staff(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    """Ana (north) and Ben (south), and Root, the admin who deactivates."""
    return {
        "ana": make_librarian("ana"),
        "ben": make_librarian("ben", campus="south"),
        "root": make_librarian("root", role="admin"),
    }


def log_in(user: AbstractBaseUser) -> str:
    """A new session of ``user``; its key."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def set_active(librarian: Librarian, active: bool, *, actor: AbstractBaseUser) -> bool:
    fresh = Librarian.objects.select_related("user", "home_campus").get(pk=librarian.pk)
    return do_update_librarian(
        fresh,
        display_name=fresh.display_name,
        email=fresh.user.email,
        campus=fresh.home_campus,
        role=fresh.role,
        active=active,
        actor=actor,
    )


def south_chat_held_by(librarian: Librarian) -> Chat:
    chat, _token = do_create_chat(
        Campus.objects.get(slug="south"), patron_name="Sam", patron_email="", question="Renew?"
    )
    return do_claim_chat(chat.pk, acting_librarian=librarian)


def ticket_owned_by(librarian: Librarian, *, closed: bool = False) -> Ticket:
    ticket = do_create_ticket(
        Campus.objects.get(slug="north"),
        patron_name="Kim",
        patron_email="kim@example.edu",
        question="Can you send me the thesis guide?",
    )
    do_claim_ticket(ticket.pk, acting_librarian=librarian)
    if closed:
        check_set_ticket_state(ticket.pk, state="closed", acting_librarian=librarian)
    return Ticket.objects.get(pk=ticket.pk)


def summary_of(ticket_id: int) -> dict[str, Any]:
    return dict(ticket_summary(Ticket.objects.select_related("campus", "owner").get(pk=ticket_id)))


def chat_summary_of(chat_id: int) -> dict[str, Any]:
    from refdesk.chats.selectors import chat_summary

    found = get_chat_for_staff(chat_id)
    assert found is not None
    return dict(chat_summary(found))


def last_line(chat_id: int) -> dict[str, Any]:
    message = Message.objects.filter(chat_id=chat_id).order_by("-seq").first()
    assert message is not None
    return {
        "type": "message",
        "chat_id": chat_id,
        "seq": message.seq,
        "sender": "system",
        "sender_name": message.sender_name,
        "body": message.body,
        "client_id": "",
        "sent_at": message.created_at.isoformat(),
    }


def deactivated(librarian: Librarian) -> tuple[str, dict[str, Any]]:
    return (
        f"librarian.{librarian.pk}",
        {"type": "account.deactivated", "librarian_id": librarian.pk},
    )


def audit_rows() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_name", "action", "target_type", "target_id", "changes"
        )
    )


# ---------------------------------------------------------------------------
# The action: rows and events
# ---------------------------------------------------------------------------


@pytest.mark.engines
def test_deactivating_ends_sessions_presence_chats_and_ticket_ownership_in_one_commit(
    staff: dict[str, Librarian],
) -> None:
    ana, ben, root = staff["ana"], staff["ben"], staff["root"]
    ana_sessions = {log_in(ana.user), log_in(ana.user)}
    ben_session = log_in(ben.user)
    do_open_console(ana, channel_name="console-ana", process="test")
    do_open_console(ben, channel_name="console-ben", process="test")
    chat = south_chat_held_by(ana)
    open_ticket = ticket_owned_by(ana)
    closed_ticket = ticket_owned_by(ana, closed=True)
    bens_ticket = ticket_owned_by(ben)
    audits_before = audit_rows()

    with capture_events() as events:
        assert set_active(ana, False, actor=root.user) is True

    # Her sessions are gone, Ben's stays; her console connection too.
    assert set(Session.objects.values_list("session_key", flat=True)) == {ben_session}
    assert ana_sessions.isdisjoint(Session.objects.values_list("session_key", flat=True))
    assert list(ConsoleConnection.objects.values_list("channel_name", flat=True)) == ["console-ben"]
    fresh = Librarian.objects.select_related("user").get(pk=ana.pk)
    assert (fresh.user.is_active, fresh.gone_since) == (False, None)
    # Her chat waits again in its campus's queue, saying why.
    back = Chat.objects.get(pk=chat.pk)
    assert (back.state, back.librarian_id, back.campus.slug) == ("waiting", None, "south")
    assert Message.objects.filter(chat=chat).order_by("-seq")[0].body == DEACTIVATED_LINE
    chat_event = ChatEvent.objects.get(chat=chat, type="chat.transferred")
    assert (chat_event.actor_id, chat_event.data["reason"]) == (None, "deactivated")
    # Her open ticket stays, unassigned and in its state; a closed one keeps its owner.
    assert Ticket.objects.filter(pk=open_ticket.pk).values_list("owner_id", "state").get() == (
        None,
        "open",
    )
    assert Ticket.objects.get(pk=closed_ticket.pk).owner_id == ana.pk
    assert Ticket.objects.get(pk=bens_ticket.pk).owner_id == ben.pk
    ticket_event = TicketEvent.objects.filter(ticket=open_ticket).order_by("-pk")[0]
    assert (ticket_event.type, ticket_event.actor_id, ticket_event.data) == (
        "ticket.updated",
        None,
        {
            "ticket": summary_of(open_ticket.pk),
            "previous_state": "open",
            "unassigned_from": ana.pk,
            "reason": "deactivated",
        },
    )
    assert summary_of(open_ticket.pk)["owner"] is None
    # One audit entry: the change itself.
    assert audit_rows() == [
        *audits_before,
        ("root", "librarian.change", "librarian", str(ana.pk), {"active": [True, False]}),
    ]

    assert_events_exactly(
        events,
        [
            ((f"chat.{chat.pk}", STAFF_GROUP), last_line(chat.pk)),
            (
                STAFF_GROUP,
                {
                    "type": "chat.transferred",
                    "event_id": chat_event.pk,
                    "chat_id": chat.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "to": None,
                    "to_id": None,
                    "to_campus": "south",
                    "reason": "deactivated",
                    "chat": chat_summary_of(chat.pk),
                },
            ),
            (
                f"chat.{chat.pk}",
                {
                    "type": "chat.transferred",
                    "chat_id": chat.pk,
                    "to": None,
                    "campus_name": "South Campus Library",
                },
                {"librarian_id": None, "state": "waiting", "patron_only": True},
            ),
            # A chat fewer, already offline: both are how she is at the commit.
            presence_event(ana, status="offline", active_chats=0),
            (
                STAFF_GROUP,
                {
                    "type": "ticket.updated",
                    "ticket": summary_of(open_ticket.pk),
                    "previous_state": "open",
                },
            ),
            presence_event(ana, status="offline", active_chats=0),
            # Ben is still online: patrons are told nothing.
            deactivated(ana),
        ],
    )


@pytest.mark.engines
def test_deactivating_the_last_operator_tells_every_patron_at_once(
    staff: dict[str, Librarian],
) -> None:
    ana = staff["ana"]
    do_open_console(ana, channel_name="console-ana", process="test")
    with capture_events() as events:
        set_active(ana, False, actor=staff["root"].user)
    assert_events_exactly(
        events,
        [
            presence_event(ana, status="offline"),
            (PATRONS_GROUP, {"type": "desk.status", "online": False}),
            deactivated(ana),
        ],
    )
    assert not ConsoleConnection.objects.exists()


def test_deactivating_within_the_grace_period_takes_the_librarian_offline_without_waiting(
    staff: dict[str, Librarian],
) -> None:
    ana = staff["ana"]
    Librarian.objects.filter(pk=ana.pk).update(gone_since=timezone.now() - dt.timedelta(seconds=5))
    with capture_events() as events:
        set_active(ana, False, actor=staff["root"].user)
    assert Librarian.objects.get(pk=ana.pk).gone_since is None
    assert_events_exactly(
        events,
        [
            presence_event(ana, status="offline"),
            (PATRONS_GROUP, {"type": "desk.status", "online": False}),
            deactivated(ana),
        ],
    )


def test_deactivating_a_librarian_who_is_offline_only_ends_sessions_and_tells_their_consoles(
    staff: dict[str, Librarian],
) -> None:
    ana = staff["ana"]
    log_in(ana.user)
    with capture_events() as events:
        set_active(ana, False, actor=staff["root"].user)
    assert not Session.objects.exists()
    assert_events_exactly(events, [deactivated(ana)])


def test_reactivating_changes_the_account_and_its_audit_entry_only(
    staff: dict[str, Librarian],
) -> None:
    ana, ben, root = staff["ana"], staff["ben"], staff["root"]
    set_active(ana, False, actor=root.user)
    ben_session = log_in(ben.user)
    do_open_console(ben, channel_name="console-ben", process="test")
    bens_ticket = ticket_owned_by(ben)
    audits_before = audit_rows()
    chat_events_before = ChatEvent.objects.count()
    ticket_events_before = TicketEvent.objects.count()

    with capture_events() as events:
        assert set_active(ana, True, actor=root.user) is True
        # Setting what is already set changes nothing and audits nothing.
        assert set_active(ana, True, actor=root.user) is False

    assert_events_exactly(events, [])
    assert audit_rows() == [
        *audits_before,
        ("root", "librarian.change", "librarian", str(ana.pk), {"active": [False, True]}),
    ]
    assert list(Session.objects.values_list("session_key", flat=True)) == [ben_session]
    assert list(ConsoleConnection.objects.values_list("channel_name", flat=True)) == ["console-ben"]
    assert Ticket.objects.get(pk=bens_ticket.pk).owner_id == ben.pk
    assert (ChatEvent.objects.count(), TicketEvent.objects.count()) == (
        chat_events_before,
        ticket_events_before,
    )
    # And she may log in again.
    assert Client().login(username="ana", password="refdesk-demo")


def test_other_changes_to_an_active_librarian_end_nothing(staff: dict[str, Librarian]) -> None:
    ana = staff["ana"]
    session = log_in(ana.user)
    do_open_console(ana, channel_name="console-ana", process="test")
    fresh = Librarian.objects.select_related("user", "home_campus").get(pk=ana.pk)
    with capture_events() as events:
        do_update_librarian(
            fresh,
            display_name="Ana M.",
            email=fresh.user.email,
            campus=fresh.home_campus,
            role="supervisor",
            active=True,
        )
    assert_events_exactly(events, [])
    assert list(Session.objects.values_list("session_key", flat=True)) == [session]
    assert ConsoleConnection.objects.count() == 1


def test_the_sessions_of_a_user_are_found_among_everyone_s_and_expired_ones_left_out(
    staff: dict[str, Librarian],
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    mine = {log_in(ana.user), log_in(ana.user)}
    log_in(ben.user)
    expired = log_in(ana.user)
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    # A session nobody is logged in to (an anonymous visitor's CSRF-free session).
    anonymous = Client()
    anonymous.get("/accounts/login/")
    assert set(list_session_keys_of_user(ana.user_id)) == mine
    assert list_session_keys_of_user(get_user_model().objects.order_by("-pk")[0].pk + 1) == []


def test_the_desk_file_deactivating_a_librarian_ends_their_sessions(
    staff: dict[str, Librarian],
) -> None:
    from refdesk.setup.actions import do_import_desk
    from refdesk.setup.deskfile import export_desk, read_desk

    ana = staff["ana"]
    log_in(ana.user)
    text, found = re.subn(
        r'(username = "ana"\n(?:.*\n)*?active = )true', r"\1false", export_desk(), count=1
    )
    assert found == 1
    desk = read_desk(text)
    report = do_import_desk(desk)
    assert report.changed == ["ana"]
    assert not Session.objects.exists()
    assert not Librarian.objects.select_related("user").get(pk=ana.pk).user.is_active


# ---------------------------------------------------------------------------
# Real sockets: the consoles close at once, the patron reads why
# ---------------------------------------------------------------------------


@pytest.mark.engines
async def test_a_deactivated_librarian_s_console_closes_at_once_and_others_see_it_all(
    staff: dict[str, Librarian],
) -> None:
    ana, ben, root = staff["ana"], staff["ben"], staff["root"]
    chat, token = await database_sync_to_async(do_create_chat)(
        await database_sync_to_async(Campus.objects.get)(slug="south"),
        patron_name="Sam",
        patron_email="",
        question="Renew?",
    )
    ana_console, _ = await open_staff(ana)
    ana_second_tab, _ = await open_staff(ana)
    ben_console, _ = await open_staff(ben)
    await database_sync_to_async(do_claim_chat)(chat.pk, acting_librarian=ana)
    ticket = await database_sync_to_async(ticket_owned_by)(ana)
    patron, _ = await open_patron(token)

    await database_sync_to_async(set_active)(ana, False, actor=root.user)

    # Both of Ana's consoles: told, then closed with 4401, with no session sweep.
    for console in (ana_console, ana_second_tab):
        error = await receive_until(console, "error")
        assert error == {
            "type": "error",
            "code": "unauthenticated",
            "message": "Your account has been deactivated.",
        }
        await closed_with(console, 4401)
    # The patron reads why, and that the chat waits again.
    line = await receive_until(patron, "message")
    assert (line["sender"], line["body"]) == ("system", DEACTIVATED_LINE)
    moved = await receive_until(patron, "chat.transferred")
    assert moved == {
        "type": "chat.transferred",
        "chat_id": chat.pk,
        "to": None,
        "campus_name": "South Campus Library",
    }
    # Ben's console sees the chat back in the queue, the ticket unassigned, Ana offline.
    transferred = await receive_until(ben_console, "chat.transferred")
    assert (transferred["chat_id"], transferred["reason"], transferred["to_campus"]) == (
        chat.pk,
        "deactivated",
        "south",
    )
    updated = await receive_until(ben_console, "ticket.updated")
    assert (updated["ticket"]["id"], updated["ticket"]["owner"], updated["ticket"]["owner_id"]) == (
        ticket.pk,
        None,
        None,
    )
    presence = await receive_until(
        ben_console, "presence", match=lambda frame: frame["librarian_id"] == ana.pk
    )
    assert presence["status"] == "offline"
    # Ben's console stays open and answers.
    assert (await answer_to(ben_console, {"type": "presence.set", "status": "online"}))[
        "type"
    ] == "ack"
    # Only Ben's session is left.
    assert await database_sync_to_async(Session.objects.count)() == 1
    await close(ana_console, ana_second_tab, ben_console, patron)


async def test_a_console_opened_with_a_deactivated_account_s_old_cookie_is_refused(
    staff: dict[str, Librarian],
) -> None:
    from tests.support import open_socket

    ana = staff["ana"]
    cookie = await database_sync_to_async(session_cookie)(ana)
    await database_sync_to_async(set_active)(ana, False, actor=staff["root"].user)
    socket = await open_socket("/ws/staff/", cookie=cookie)
    error = await socket.receive_json_from(timeout=TIMEOUT)
    assert (error["type"], error["code"]) == ("error", "unauthenticated")
    await closed_with(socket, 4401)
    await close(socket)
