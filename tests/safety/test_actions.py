"""Blocks and incidents: the rows, audit entries and exact events of each action, every
refusal, and the retention purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from refdesk.accounts.models import ConsoleConnection, Librarian
from refdesk.chats import actions as chat_actions
from refdesk.chats.models import Chat, ChatEvent, ChatState, Message
from refdesk.chats.selectors import chat_summary, get_chat_for_staff, message_payload
from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry
from refdesk.core.realtime import STAFF_GROUP, SUPERVISORS_GROUP
from refdesk.safety import actions
from refdesk.safety.models import Block, Incident
from tests.support import assert_events_exactly, capture_events, presence_event

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "203.0.113.9"
BROWSER = "3f1c9a4e-8d7b-4a52-9e0f-1b2c3d4e5f60"


@pytest.fixture
def patron_chat(online: Librarian) -> Callable[..., Chat]:
    """A chat started through the API's check, from ``ADDRESS`` and ``BROWSER``."""

    def make(*, address: str = ADDRESS, browser: str = BROWSER, question: str = "Help") -> Chat:
        chat, _ = chat_actions.check_create_chat(
            campus_slug="north",
            name="Sam",
            email="",
            question=question,
            address=address,
            browser_id=browser,
        )
        return chat

    return make


def _staff_view(chat_id: int) -> dict[str, Any]:
    chat = get_chat_for_staff(chat_id)
    assert chat is not None
    return chat_summary(chat)


def _start(address: str = ADDRESS, browser: str = BROWSER) -> Any:
    return Client(REMOTE_ADDR=address).post(
        "/api/chats",
        {"campus": "north", "question": "Hello again", "browser": browser},
        content_type="application/json",
    )


def test_blocking_ends_the_chat_neutrally_for_the_patron_and_records_the_block(
    patron_chat: Callable[..., Chat], online: Librarian
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    with capture_events() as events:
        block, ended = actions.check_block_patron(
            online, chat_id=chat.pk, reason="Threats after two warnings", days=7
        )
    assert ended == [chat.pk]
    stored = Block.objects.get()
    assert stored == block
    assert (stored.chat_id, stored.reason, stored.created_by_id) == (
        chat.pk,
        "Threats after two warnings",
        online.pk,
    )
    assert stored.ip_hash == chat.ip_hash != ""
    assert stored.browser_hash == chat.browser_hash != ""
    assert BROWSER not in stored.browser_hash
    assert stored.expires_at - stored.created_at == dt.timedelta(days=7)
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.state, fresh.end_reason) == (ChatState.ENDED, "blocked")
    line = Message.objects.get(chat=chat, seq=fresh.last_seq)
    assert (line.sender, line.body) == ("system", "The chat has ended.")
    audit = AuditEntry.objects.get(action="block.add")
    assert (audit.actor_id, audit.target_type, audit.target_id) == (
        online.user.pk,
        "block",
        str(block.pk),
    )
    assert audit.changes == {
        "chat": chat.pk,
        "reason": "Threats after two warnings",
        "days": 7,
        "expires_at": stored.expires_at.isoformat(),
    }
    assert chat.ip_hash not in str(audit.changes)
    assert_events_exactly(
        events,
        [
            (
                (f"chat.{chat.pk}", f"librarian.{online.pk}"),
                message_payload(line),
            ),
            (
                STAFF_GROUP,
                {
                    "type": "chat.ended",
                    "event_id": ChatEvent.objects.get(chat=chat, type="chat.ended").pk,
                    "chat_id": chat.pk,
                    "reason": "blocked",
                    "chat": _staff_view(chat.pk),
                },
            ),
            # The patron is never told they were blocked.
            (f"chat.{chat.pk}", {"type": "chat.ended", "chat_id": chat.pk, "reason": "closed"}),
            presence_event(online, status="online", active_chats=0),
        ],
    )


def test_blocking_also_ends_the_same_browsers_other_open_chat_but_not_its_neighbours(
    patron_chat: Callable[..., Chat], make_librarian: Callable[..., Librarian]
) -> None:
    first = patron_chat()
    second = patron_chat(question="Another tab")
    neighbour = patron_chat(browser="someone-else-on-the-lab-pc")
    boss = make_librarian("bo", role="supervisor")
    _block, ended = actions.check_block_patron(boss, chat_id=first.pk, reason="Spam", days=1)
    assert ended == [first.pk, second.pk]
    states = dict(Chat.objects.values_list("pk", "state"))
    assert states == {first.pk: "ended", second.pk: "ended", neighbour.pk: "waiting"}


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_or_admin_may_block_the_patron_of_any_chat(
    patron_chat: Callable[..., Chat], make_librarian: Callable[..., Librarian], role: str
) -> None:
    chat = patron_chat()
    boss = make_librarian("bo", role=role)
    block, _ = actions.check_block_patron(boss, chat_id=chat.pk, reason="Abuse", days=30)
    assert block.created_by_id == boss.pk


def test_a_librarian_not_holding_the_chat_may_not_block_and_nothing_is_stored(
    patron_chat: Callable[..., Chat], make_librarian: Callable[..., Librarian], online: Librarian
) -> None:
    chat = patron_chat()
    other = make_librarian("ben")
    waiting = patron_chat(browser="waiting-browser")
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    with capture_events() as events:
        for target in (chat.pk, waiting.pk):
            with pytest.raises(ActionError) as caught:
                actions.check_block_patron(other, chat_id=target, reason="x", days=1)
            assert caught.value.code == "forbidden"
    assert_events_exactly(events, [])
    assert not Block.objects.exists()
    assert not AuditEntry.objects.filter(action="block.add").exists()
    assert Chat.objects.get(pk=chat.pk).state == ChatState.ACTIVE


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"reason": "", "days": 1}, "invalid", "reason"),
        ({"reason": "\u200b\u200b ", "days": 1}, "invalid", "reason"),
        ({"reason": "x" * 501, "days": 1}, "too_long", "reason"),
        ({"reason": ["not", "text"], "days": 1}, "invalid", "reason"),
        ({"reason": "Abuse", "days": 3}, "invalid", "days"),
        ({"reason": "Abuse", "days": "7"}, "invalid", "days"),
        ({"reason": "Abuse", "days": True}, "invalid", "days"),
        ({"reason": "Abuse", "days": None}, "invalid", "days"),
    ],
)
def test_a_bad_block_request_is_refused_with_its_field_and_stores_nothing(
    patron_chat: Callable[..., Chat],
    online: Librarian,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    with pytest.raises(ActionError) as caught:
        actions.check_block_patron(online, chat_id=chat.pk, **fields)
    assert (caught.value.code, caught.value.extra.get("field")) == (code, field)
    assert not Block.objects.exists()
    assert Chat.objects.get(pk=chat.pk).state == ChatState.ACTIVE


def test_blocking_an_unknown_chat_is_not_found(online: Librarian) -> None:
    with pytest.raises(ActionError) as caught:
        actions.check_block_patron(online, chat_id=999_999, reason="x", days=1)
    assert caught.value.code == "not_found"
    with pytest.raises(ActionError) as caught:
        actions.check_block_patron(online, chat_id="1; DROP TABLE safety_block", reason="x", days=1)
    assert caught.value.code == "invalid"


def test_a_reason_is_kept_as_plain_text_without_controls_or_direction_overrides(
    patron_chat: Callable[..., Chat], online: Librarian
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    block, _ = actions.check_block_patron(
        online, chat_id=chat.pk, reason="<script>alert(1)</script>\u202e evil\x00", days=1
    )
    assert Block.objects.get(pk=block.pk).reason == "<script>alert(1)</script> evil"


def test_a_blocked_patron_is_refused_until_the_block_expires(
    patron_chat: Callable[..., Chat], online: Librarian
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    actions.check_block_patron(online, chat_id=chat.pk, reason="Abuse", days=1)
    count = Chat.objects.count()
    refused = _start()
    assert refused.status_code == 403
    assert refused.json() == {"code": "blocked", "message": actions.BLOCKED_MESSAGE}
    assert "block" not in refused.json()["message"].lower()
    assert "Abuse" not in refused.content.decode()
    # A new browser id from the same address: still refused (evasion by clearing storage).
    assert _start(browser="a-brand-new-browser-id").status_code == 403
    # The same browser from another address (a phone off the campus wifi): refused too.
    assert _start(address="198.51.100.7").status_code == 403
    assert Chat.objects.count() == count
    # Another browser on another address is nobody the block names.
    assert _start(address="198.51.100.7", browser="stranger").status_code == 201
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        # The librarian's console is still open a day later.
        ConsoleConnection.objects.update(seen_at=timezone.now())
        assert _start().status_code == 201


def test_a_lifted_block_lets_the_patron_chat_again_and_is_audited(
    patron_chat: Callable[..., Chat], online: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    block, _ = actions.check_block_patron(online, chat_id=chat.pk, reason="Abuse", days=30)
    with pytest.raises(ActionError) as caught:
        actions.check_lift_block(online, block.pk, note="mistake")
    assert caught.value.code == "forbidden"
    boss = make_librarian("bo", role="supervisor")
    with pytest.raises(ActionError) as caught:
        actions.check_lift_block(boss, block.pk, note="  ")
    assert (caught.value.code, caught.value.extra["field"]) == ("invalid", "note")
    assert _start().status_code == 403
    with capture_events() as events:
        lifted = actions.check_lift_block(boss, block.pk, note="Apologised by phone")
    assert_events_exactly(events, [])
    assert (lifted.lifted_by_id, lifted.lift_note) == (boss.pk, "Apologised by phone")
    audit = AuditEntry.objects.get(action="block.lift")
    assert (audit.actor_id, audit.target_id, audit.changes) == (
        boss.user.pk,
        str(block.pk),
        {"note": "Apologised by phone"},
    )
    assert _start().status_code == 201
    with pytest.raises(ActionError) as caught:
        actions.check_lift_block(boss, block.pk, note="again")
    assert caught.value.code == "invalid"
    assert AuditEntry.objects.filter(action="block.lift").count() == 1


def test_reporting_an_incident_tells_only_supervisors(
    patron_chat: Callable[..., Chat], online: Librarian
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    with capture_events() as events:
        incident = actions.check_report_incident(
            online,
            chat_id=chat.pk,
            kind="threat",
            what_happened="The patron threatened staff.\nTwo warnings given.",
            actions_taken="Ended the chat, blocked for 7 days.",
            follow_up="Tell campus security.",
        )
    stored = Incident.objects.get()
    assert stored == incident
    assert (stored.chat_id, stored.campus_id, stored.kind, stored.status) == (
        chat.pk,
        chat.campus_id,
        "threat",
        "open",
    )
    assert stored.what_happened == "The patron threatened staff.\nTwo warnings given."
    assert (stored.actions_taken, stored.follow_up) == (
        "Ended the chat, blocked for 7 days.",
        "Tell campus security.",
    )
    assert stored.reported_by_id == online.pk
    audit = AuditEntry.objects.get(action="incident.report")
    assert audit.changes == {"chat": chat.pk, "kind": "threat", "campus": "north"}
    assert_events_exactly(
        events,
        [
            (
                SUPERVISORS_GROUP,
                {
                    "type": "incident.created",
                    "incident": {
                        "id": incident.pk,
                        "kind": "threat",
                        "status": "open",
                        "chat_id": chat.pk,
                        "campus": "north",
                        "campus_name": "North Campus Library",
                        "reported_by": "On Duty",
                        "created_at": stored.created_at.isoformat(),
                        "url": f"/console/safety/incidents/{incident.pk}/",
                    },
                },
            )
        ],
    )


def test_a_librarian_who_held_a_chat_before_a_transfer_may_report_on_it(
    patron_chat: Callable[..., Chat], online: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    chat_actions.check_end_chat_by_librarian(chat.pk, acting_librarian=online)
    incident = actions.check_report_incident(
        online, chat_id=chat.pk, kind="abuse", what_happened="Insults"
    )
    assert incident.reported_by_id == online.pk
    stranger = make_librarian("ben")
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.check_report_incident(
            stranger, chat_id=chat.pk, kind="abuse", what_happened="Insults"
        )
    assert caught.value.code == "forbidden"
    assert_events_exactly(events, [])
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"kind": "rude", "what_happened": "x"}, "invalid", "kind"),
        ({"kind": "abuse", "what_happened": ""}, "invalid", "what_happened"),
        ({"kind": "abuse", "what_happened": "\u200b"}, "invalid", "what_happened"),
        ({"kind": "abuse", "what_happened": "x" * 4001}, "too_long", "what_happened"),
        ({"kind": "abuse", "what_happened": "x", "actions_taken": 5}, "invalid", "actions_taken"),
        ({"kind": "abuse", "what_happened": "x", "follow_up": "y" * 4001}, "too_long", "follow_up"),
    ],
)
def test_a_bad_incident_report_is_refused_and_stores_nothing(
    patron_chat: Callable[..., Chat],
    online: Librarian,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    with pytest.raises(ActionError) as caught:
        actions.check_report_incident(online, chat_id=chat.pk, **fields)
    assert (caught.value.code, caught.value.extra.get("field")) == (code, field)
    assert not Incident.objects.exists()


def test_closing_and_following_up_an_incident_is_for_supervisors_and_audited(
    patron_chat: Callable[..., Chat], online: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    incident = actions.check_report_incident(
        online, chat_id=chat.pk, kind="crisis", what_happened="Patron spoke of self-harm"
    )
    for attempt in (
        lambda: actions.check_close_incident(online, incident.pk, note="done"),
        lambda: actions.check_change_follow_up(online, incident.pk, follow_up="call"),
    ):
        with pytest.raises(ActionError) as caught:
            attempt()
        assert caught.value.code == "forbidden"
    boss = make_librarian("bo", role="supervisor")
    actions.check_change_follow_up(boss, incident.pk, follow_up="Counselling called back")
    closed = actions.check_close_incident(boss, incident.pk, note="Handled with counselling")
    assert (closed.status, closed.closed_by_id, closed.close_note) == (
        "closed",
        boss.pk,
        "Handled with counselling",
    )
    assert Incident.objects.get().follow_up == "Counselling called back"
    assert list(
        AuditEntry.objects.filter(target_type="incident")
        .order_by("pk")
        .values_list("action", "changes")
    ) == [
        ("incident.report", {"chat": chat.pk, "kind": "crisis", "campus": "north"}),
        ("incident.follow_up", {"follow_up": ["", "Counselling called back"]}),
        ("incident.close", {"note": "Handled with counselling"}),
    ]
    with pytest.raises(ActionError) as caught:
        actions.check_close_incident(boss, incident.pk, note="twice")
    assert caught.value.code == "invalid"


def test_retention_purges_old_blocks_and_the_text_of_old_closed_incidents(
    patron_chat: Callable[..., Chat],
    online: Librarian,
    make_librarian: Callable[..., Librarian],
    settings: Any,
) -> None:
    settings.REFDESK = {**settings.REFDESK, "RETENTION_DAYS": 30}
    chat = patron_chat()
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    boss = make_librarian("bo", role="supervisor")
    old_block, _ = actions.check_block_patron(online, chat_id=chat.pk, reason="Abuse", days=1)
    kept = patron_chat(browser="other", address="198.51.100.1")
    closed = actions.check_report_incident(boss, chat_id=chat.pk, kind="spam", what_happened="Ads")
    actions.check_close_incident(boss, closed.pk, note="Spam bot")
    still_open = actions.check_report_incident(
        boss, chat_id=kept.pk, kind="abuse", what_happened="Rude"
    )
    soon = timezone.now() + dt.timedelta(days=29)
    assert actions.do_purge_old_blocks(now=soon) == 0
    assert actions.do_purge_closed_incidents(now=soon) == 0
    later = timezone.now() + dt.timedelta(days=32)
    new_block, _ = actions.check_block_patron(boss, chat_id=kept.pk, reason="Abuse", days=30)
    assert actions.do_purge_old_blocks(now=later) == 1
    assert list(Block.objects.values_list("pk", flat=True)) == [new_block.pk]
    assert old_block.pk != new_block.pk
    assert actions.do_purge_closed_incidents(now=later) == 1
    purged = Incident.objects.get(pk=closed.pk)
    assert (purged.what_happened, purged.actions_taken, purged.follow_up, purged.close_note) == (
        "",
        "",
        "",
        "",
    )
    assert (purged.kind, purged.campus_id, purged.purged_at) == ("spam", chat.campus_id, later)
    assert Incident.objects.get(pk=still_open.pk).what_happened == "Rude"
    assert actions.do_purge_closed_incidents(now=later) == 0
