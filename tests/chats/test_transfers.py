"""Transfers and the timers of a waiting chat: the rows each action writes and the exact
events it sends, the refusals, and the races, which have one outcome."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from refdesk.accounts.actions import do_open_console
from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat, ChatEvent, ChatState, EndReason, Message
from refdesk.chats.selectors import chat_summary, get_chat_for_staff, list_messages
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP
from tests.support import assert_events_exactly, capture_events, presence_event, staff_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    """Ana (north) holds chats; Ben (south) and Cai (north) have consoles open."""
    people = {
        "ana": make_librarian("ana"),
        "ben": make_librarian("ben", campus="south"),
        "cai": make_librarian("cai"),
    }
    for name, librarian in people.items():
        do_open_console(librarian, channel_name=f"console-{name}", process="test")
    return people


@pytest.fixture
def held(new_chat: Callable[..., Any], staff: dict[str, Librarian]) -> Chat:
    """A south patron's chat that Ana holds."""
    chat, _ = new_chat("south", name="Sam", question="Can I renew online?")
    return actions.do_claim_chat(chat.pk, acting_librarian=staff["ana"])


def summary(chat_id: int) -> dict[str, Any]:
    found = get_chat_for_staff(chat_id)
    assert found is not None
    return dict(chat_summary(found))


def with_messages(chat_id: int) -> dict[str, Any]:
    found = get_chat_for_staff(chat_id)
    assert found is not None
    return {**chat_summary(found), "messages": list_messages(found)}


def last_line(chat_id: int) -> dict[str, Any]:
    message = Message.objects.filter(chat_id=chat_id).order_by("-seq").first()
    assert message is not None
    return {
        "type": "message",
        "chat_id": chat_id,
        "seq": message.seq,
        "sender": message.sender,
        "sender_name": message.sender_name,
        "body": message.body,
        "client_id": "",
        "sent_at": message.created_at.isoformat(),
    }


# ---------------------------------------------------------------------------
# Offers, accepts, declines, expiry
# ---------------------------------------------------------------------------


def test_an_offer_reaches_the_target_with_the_conversation_and_tells_the_holder(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    with capture_events() as events:
        offer = actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    row = Chat.objects.get(pk=held.pk)
    assert (row.state, row.librarian_id, row.offer_to_id, row.offer_from_id) == (
        "active",
        ana.pk,
        ben.pk,
        ana.pk,
    )
    assert row.offer_expires_at == offer.expires_at
    assert 59 <= (offer.expires_at - timezone.now()).total_seconds() <= 60
    expires = offer.expires_at.isoformat()
    assert_events_exactly(
        events,
        [
            (
                f"librarian.{ben.pk}",
                {
                    "type": "chat.transfer.offered",
                    "chat_id": held.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "expires_at": expires,
                    "chat": with_messages(held.pk),
                },
            ),
            (f"librarian.{ana.pk}", {"type": "chat.updated", "chat": summary(held.pk)}),
        ],
    )
    assert summary(held.pk)["offer_to_id"] == ben.pk
    assert summary(held.pk)["offer_expires_at"] == expires
    event = ChatEvent.objects.get(chat_id=held.pk, type="chat.transfer.offered")
    assert (event.actor_id, event.data) == (
        ana.pk,
        {
            "chat_id": held.pk,
            "from": "Ana",
            "from_id": ana.pk,
            "to": "Ben",
            "to_id": ben.pk,
            "expires_at": expires,
        },
    )


def test_an_accept_makes_the_chat_the_targets_and_the_old_holder_can_no_longer_send(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    with capture_events() as events:
        chat = actions.do_accept_transfer(held.pk, acting_librarian=ben)
    row = Chat.objects.get(pk=held.pk)
    assert (row.state, row.librarian_id, row.offer_to_id, row.offer_expires_at) == (
        "active",
        ben.pk,
        None,
        None,
    )
    line = last_line(held.pk)
    assert (line["sender"], line["body"]) == ("system", "Ana transferred the chat to Ben.")
    transferred = ChatEvent.objects.get(chat_id=held.pk, type="chat.transferred")
    assert_events_exactly(
        events,
        [
            ((f"chat.{held.pk}", f"librarian.{ben.pk}", f"librarian.{ana.pk}"), line),
            (
                STAFF_GROUP,
                {
                    "type": "chat.transferred",
                    "event_id": transferred.pk,
                    "chat_id": held.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "to": "Ben",
                    "to_id": ben.pk,
                    "to_campus": None,
                    "reason": "transfer",
                    "chat": summary(held.pk),
                },
            ),
            (
                f"chat.{held.pk}",
                {
                    "type": "chat.transferred",
                    "chat_id": held.pk,
                    "to": "Ben",
                    "campus_name": chat.campus.name,
                },
                {"librarian_id": ben.pk, "state": "active", "patron_only": True},
            ),
            # Every console sees one chat fewer for Ana and one more for Ben.
            presence_event(ana, status="online", active_chats=0),
            presence_event(ben, status="online", active_chats=1),
        ],
    )
    with pytest.raises(ActionError) as caught:
        actions.check_send_librarian_message(held.pk, acting_librarian=ana, client_id="", body="hi")
    assert caught.value.code == "not_yours"
    sent = actions.check_send_librarian_message(
        held.pk, acting_librarian=ben, client_id="", body="Hi"
    )
    assert sent["sender_name"] == "Ben"


def test_a_decline_leaves_the_chat_with_its_holder_and_says_who(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    with capture_events() as events:
        actions.do_decline_transfer(held.pk, acting_librarian=ben)
    row = Chat.objects.get(pk=held.pk)
    assert (row.librarian_id, row.offer_to_id, row.offer_from_id, row.offer_expires_at) == (
        ana.pk,
        None,
        None,
        None,
    )
    assert_events_exactly(
        events,
        [
            (
                (f"librarian.{ana.pk}", f"librarian.{ben.pk}"),
                {
                    "type": "chat.transfer.declined",
                    "chat_id": held.pk,
                    "by": "Ben",
                    "by_id": ben.pk,
                    "reason": "declined",
                    "chat": summary(held.pk),
                },
            )
        ],
    )
    # The offer can be made again, to someone else.
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=staff["cai"].pk)


def test_an_offer_nobody_answers_expires_by_the_job_and_the_holder_is_told(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    offer = actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    assert actions.do_expire_transfer_offers(now=offer.expires_at - dt.timedelta(seconds=1)) == 0
    with capture_events() as events:
        assert actions.do_expire_transfer_offers(now=offer.expires_at) == 1
    assert_events_exactly(
        events,
        [
            (
                (f"librarian.{ana.pk}", f"librarian.{ben.pk}"),
                {
                    "type": "chat.transfer.declined",
                    "chat_id": held.pk,
                    "by": "Ben",
                    "by_id": ben.pk,
                    "reason": "expired",
                    "chat": summary(held.pk),
                },
            )
        ],
    )
    assert Chat.objects.get(pk=held.pk).librarian_id == ana.pk
    # Once: a second run, in this process or another, finds nothing.
    assert actions.do_expire_transfer_offers(now=offer.expires_at) == 0
    with pytest.raises(ActionError) as caught:
        actions.do_accept_transfer(held.pk, acting_librarian=ben)
    assert caught.value.code == "no_offer"


@pytest.mark.parametrize(
    ("who", "to", "code"),
    [
        ("ben", "cai", "not_yours"),  # Ben does not hold it
        ("ana", "ana", "transfer_to_self"),
        ("ana", "dee", "not_online"),  # Dee has no console open
        ("ana", "away", "not_online"),  # Eve is away
        ("ana", "nobody", "unknown_librarian"),
    ],
)
def test_transfers_that_cannot_be_are_refused_and_change_nothing(  # noqa: PLR0917 - fixtures
    held: Chat,
    staff: dict[str, Librarian],
    make_librarian: Callable[..., Librarian],
    who: str,
    to: str,
    code: str,
) -> None:
    dee = make_librarian("dee", campus="south")
    eve = make_librarian("eve", campus="south")
    do_open_console(eve, channel_name="console-eve", process="test")
    Librarian.objects.filter(pk=eve.pk).update(status="away")
    targets = {**staff, "dee": dee, "away": eve}
    target_id = targets[to].pk if to in targets else 10**9
    before = Chat.objects.filter(pk=held.pk).values().get()
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.do_offer_transfer(held.pk, acting_librarian=staff[who], to_librarian_id=target_id)
    assert caught.value.code == code
    assert_events_exactly(events, [])
    assert Chat.objects.filter(pk=held.pk).values().get() == before
    assert not ChatEvent.objects.filter(type="chat.transfer.offered").exists()


def test_a_second_offer_while_one_is_pending_is_refused(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana = staff["ana"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=staff["ben"].pk)
    with pytest.raises(ActionError) as caught:
        actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=staff["cai"].pk)
    assert caught.value.code == "offer_pending"
    assert Chat.objects.get(pk=held.pk).offer_to_id == staff["ben"].pk


def test_only_the_target_can_accept_and_not_after_expiry(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben, cai = staff["ana"], staff["ben"], staff["cai"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    for intruder in (cai, ana):
        with pytest.raises(ActionError) as caught:
            actions.do_accept_transfer(held.pk, acting_librarian=intruder)
        assert caught.value.code == "no_offer"
    Chat.objects.filter(pk=held.pk).update(offer_expires_at=timezone.now())
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.do_accept_transfer(held.pk, acting_librarian=ben)
    assert caught.value.code == "offer_expired"
    assert_events_exactly(events, [])
    assert Chat.objects.get(pk=held.pk).librarian_id == ana.pk


# ---------------------------------------------------------------------------
# Back to a campus's queue
# ---------------------------------------------------------------------------


def test_a_transfer_to_a_campus_queue_waits_there_ringing_for_that_campus_first(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    actions.do_offer_transfer(held.pk, acting_librarian=ana, to_librarian_id=ben.pk)
    north = ana.home_campus
    with capture_events() as events:
        chat = actions.do_return_chat_to_queue(
            held.pk, campus_id=north.pk, acting_librarian=ana, reason="transfer", holder=ana.pk
        )
    row = Chat.objects.get(pk=held.pk)
    assert (row.state, row.librarian_id, row.campus_id, row.claimed_at, row.offer_to_id) == (
        "waiting",
        None,
        north.pk,
        None,
        None,
    )
    assert row.waiting_since is not None
    assert row.home_until == row.waiting_since + dt.timedelta(seconds=20)
    assert row.ticket_offer_at == row.waiting_since + dt.timedelta(seconds=60)
    assert (row.home_ended_at, row.ticket_offered_at) == (None, None)
    line = last_line(held.pk)
    assert line["body"] == (
        "Ana transferred the chat to the North Campus Library queue. "
        "A librarian there will be with you shortly."
    )
    event = ChatEvent.objects.get(chat_id=held.pk, type="chat.transferred")
    assert_events_exactly(
        events,
        [
            ((f"chat.{held.pk}", STAFF_GROUP), line),
            (
                STAFF_GROUP,
                {
                    "type": "chat.transferred",
                    "event_id": event.pk,
                    "chat_id": held.pk,
                    "from": "Ana",
                    "from_id": ana.pk,
                    "to": None,
                    "to_id": None,
                    "to_campus": "north",
                    "reason": "transfer",
                    "chat": summary(held.pk),
                },
            ),
            (
                f"chat.{held.pk}",
                {
                    "type": "chat.transferred",
                    "chat_id": held.pk,
                    "to": None,
                    "campus_name": "North Campus Library",
                },
                {"librarian_id": None, "state": "waiting", "patron_only": True},
            ),
            presence_event(ana, status="online", active_chats=0),
        ],
    )
    assert chat.state == ChatState.WAITING
    # Ben's offer went with it.
    with pytest.raises(ActionError) as caught:
        actions.do_accept_transfer(held.pk, acting_librarian=ben)
    assert caught.value.code == "no_offer"
    # Anyone may claim it again.
    assert actions.do_claim_chat(held.pk, acting_librarian=staff["cai"]).librarian_id == (
        staff["cai"].pk
    )


def test_only_the_holder_returns_a_chat_to_a_queue(held: Chat, staff: dict[str, Librarian]) -> None:
    with pytest.raises(ActionError) as caught:
        actions.do_return_chat_to_queue(
            held.pk,
            campus_id=held.campus_id,
            acting_librarian=staff["ben"],
            reason="transfer",
            holder=staff["ben"].pk,
        )
    assert caught.value.code == "not_yours"
    assert Chat.objects.get(pk=held.pk).librarian_id == staff["ana"].pk


# ---------------------------------------------------------------------------
# The timers of a waiting chat
# ---------------------------------------------------------------------------


def test_the_home_window_closes_once_and_every_console_hears_it(
    new_chat: Callable[..., Any],
) -> None:
    chat, _ = new_chat("south")
    assert chat.home_until is not None
    assert actions.do_close_home_windows(now=chat.home_until - dt.timedelta(seconds=1)) == 0
    with capture_events() as events:
        assert actions.do_close_home_windows(now=chat.home_until) == 1
    row = Chat.objects.get(pk=chat.pk)
    assert row.home_ended_at == chat.home_until
    assert_events_exactly(
        events, [(STAFF_GROUP, {"type": "chat.updated", "chat": summary(chat.pk)})]
    )
    assert summary(chat.pk)["home_ended_at"] == chat.home_until.isoformat()
    assert actions.do_close_home_windows(now=chat.home_until + dt.timedelta(minutes=5)) == 0


def test_a_patron_still_waiting_is_offered_a_ticket_once(
    new_chat: Callable[..., Any], staff: dict[str, Librarian]
) -> None:
    waiting, _ = new_chat("south")
    claimed, _ = new_chat("north")
    actions.do_claim_chat(claimed.pk, acting_librarian=staff["ana"])
    at = max(waiting.ticket_offer_at, claimed.ticket_offer_at)  # type: ignore[type-var]
    with capture_events() as events:
        assert actions.do_offer_tickets(now=at) == 1
    assert_events_exactly(
        events,
        [(f"chat.{waiting.pk}", {"type": "chat.ticket_offer", "chat_id": waiting.pk})],
    )
    assert Chat.objects.get(pk=waiting.pk).ticket_offered_at == at
    assert Chat.objects.get(pk=claimed.pk).ticket_offered_at is None
    assert actions.do_offer_tickets(now=at + dt.timedelta(minutes=1)) == 0


# ---------------------------------------------------------------------------
# Races: one outcome each
# ---------------------------------------------------------------------------


def race(*steps: Callable[[], Any]) -> list[str]:
    """Run each step in its own thread (its own database connection), released together;
    what each did: ``ok`` or its error code."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[str] = ["" for _ in steps]

    def run(index: int, step: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            try:
                step()
                outcomes[index] = "ok"
            except ActionError as exc:
                outcomes[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


ROUNDS = int(os.environ.get("REFDESK_RACE_ROUNDS", "8"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def record(race_name: str, outcomes: list[str]) -> None:
    """Keep how a race came out, per database, in test-artifacts/ (for the record)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"transfer-races-{connection.vendor}.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known[race_name] = dict(Counter(outcomes))
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")


@pytest.mark.engines
def test_an_accept_racing_the_patron_leaving_has_one_outcome(
    new_chat: Callable[..., Any], staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    seen: list[str] = []
    for _ in range(ROUNDS):
        chat, _ = new_chat("south")
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
        actions.do_offer_transfer(chat.pk, acting_librarian=ana, to_librarian_id=ben.pk)
        accept, leave = race(
            lambda c=chat: actions.do_accept_transfer(c.pk, acting_librarian=ben),
            lambda c=chat: actions.do_end_chat(
                Chat.objects.get(pk=c.pk), reason=EndReason.PATRON_LEFT
            ),
        )
        row = Chat.objects.get(pk=chat.pk)
        assert leave == "ok"
        assert row.state == ChatState.ENDED
        if accept == "ok":
            assert row.librarian_id == ben.pk
            assert ChatEvent.objects.filter(chat=chat, type="chat.transferred").count() == 1
        else:
            assert accept == "chat_ended"
            assert row.librarian_id == ana.pk
            assert not ChatEvent.objects.filter(chat=chat, type="chat.transferred").exists()
        seen.append(accept)
    assert set(seen) <= {"ok", "chat_ended"}
    record("accept_vs_patron_leaving", seen)


@pytest.mark.engines
def test_an_accept_racing_the_expiry_has_one_outcome(
    new_chat: Callable[..., Any], staff: dict[str, Librarian]
) -> None:
    ana, ben = staff["ana"], staff["ben"]
    seen: list[str] = []
    for _ in range(ROUNDS):
        chat, _ = new_chat("south")
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
        offer = actions.do_offer_transfer(chat.pk, acting_librarian=ana, to_librarian_id=ben.pk)
        expired_count: list[int] = []
        accept, _expiry = race(
            lambda c=chat: actions.do_accept_transfer(c.pk, acting_librarian=ben),
            lambda o=offer, found=expired_count: found.append(
                actions.do_expire_transfer_offers(now=o.expires_at)
            ),
        )
        row = Chat.objects.get(pk=chat.pk)
        declined = ChatEvent.objects.filter(chat=chat, type="chat.transfer.declined").count()
        transferred = ChatEvent.objects.filter(chat=chat, type="chat.transferred").count()
        if accept == "ok":
            assert (row.librarian_id, expired_count, declined, transferred) == (ben.pk, [0], 0, 1)
        else:
            assert accept in {"no_offer", "offer_expired"}
            assert (row.librarian_id, expired_count, declined, transferred) == (ana.pk, [1], 1, 0)
        assert row.offer_to_id is None
        seen.append("accepted" if accept == "ok" else "expired")
    record("accept_vs_expiry", seen)


@pytest.mark.engines
def test_two_transfers_of_one_chat_at_once_have_one_winner(
    new_chat: Callable[..., Any], staff: dict[str, Librarian]
) -> None:
    ana, ben, cai = staff["ana"], staff["ben"], staff["cai"]
    offers: list[str] = []
    requeues: list[str] = []
    for _ in range(ROUNDS):
        chat, _ = new_chat("south")
        actions.do_claim_chat(chat.pk, acting_librarian=ana)
        outcomes = race(
            lambda c=chat: actions.do_offer_transfer(
                c.pk, acting_librarian=ana, to_librarian_id=ben.pk
            ),
            lambda c=chat: actions.do_offer_transfer(
                c.pk, acting_librarian=ana, to_librarian_id=cai.pk
            ),
        )
        assert sorted(outcomes) == ["offer_pending", "ok"]
        row = Chat.objects.get(pk=chat.pk)
        winner = ben if outcomes[0] == "ok" else cai
        offers.append("first" if outcomes[0] == "ok" else "second")
        assert row.offer_to_id == winner.pk
        assert ChatEvent.objects.filter(chat=chat, type="chat.transfer.offered").count() == 1
        # And a queue transfer racing an accept: the chat ends up in exactly one place.
        accept, requeue = race(
            lambda c=chat, w=winner: actions.do_accept_transfer(c.pk, acting_librarian=w),
            lambda c=chat: actions.do_return_chat_to_queue(
                c.pk, campus_id=c.campus_id, acting_librarian=ana, reason="transfer", holder=ana.pk
            ),
        )
        row = Chat.objects.get(pk=chat.pk)
        if accept == "ok":
            assert requeue == "not_yours"
            assert (row.state, row.librarian_id) == ("active", winner.pk)
        else:
            assert (accept, requeue) == ("no_offer", "ok")
            assert (row.state, row.librarian_id) == ("waiting", None)
        assert ChatEvent.objects.filter(chat=chat, type="chat.transferred").count() == 1
        requeues.append("accepted" if accept == "ok" else "requeued")
    record("two_offers_at_once", offers)
    record("accept_vs_queue_transfer", requeues)


def test_the_snapshot_carries_the_offers_made_to_me(
    held: Chat, staff: dict[str, Librarian]
) -> None:
    offer = actions.do_offer_transfer(
        held.pk, acting_librarian=staff["ana"], to_librarian_id=staff["ben"].pk
    )
    ben_view = json.loads(json.dumps(staff_snapshot(staff["ben"]), default=_json_text))
    assert ben_view["transfer_offers"] == [
        {
            "type": "chat.transfer.offered",
            "chat_id": held.pk,
            "from": "Ana",
            "from_id": staff["ana"].pk,
            "expires_at": offer.expires_at.isoformat(),
            "chat": with_messages(held.pk),
        }
    ]
    assert staff_snapshot(staff["cai"])["transfer_offers"] == []


def _json_text(value: Any) -> Any:
    return json.loads(value.text)
