"""Presence: online, away and offline, the grace period, and what patrons are told.

The actions are driven with a clock that stands still (``clock``) and stored times, so
that the grace period is tested without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from refdesk.accounts import actions
from refdesk.accounts.models import ConsoleConnection, Librarian
from refdesk.accounts.selectors import is_anyone_online, list_presence
from refdesk.chats.actions import check_create_chat, do_claim_chat
from refdesk.core.errors import ActionError
from refdesk.core.realtime import PATRONS_GROUP
from tests.accounts.conftest import Clock
from tests.support import assert_events_exactly, capture_events, presence_event

pytestmark = pytest.mark.django_db(transaction=True)


def desk_status(online: bool) -> tuple[str, dict[str, Any]]:
    return (PATRONS_GROUP, {"type": "desk.status", "online": online})


def open_console(librarian: Librarian, channel: str = "tab-1") -> None:
    actions.do_open_console(librarian, channel_name=channel, process="here")


def close_console(librarian: Librarian, channel: str = "tab-1") -> None:
    actions.do_close_console(librarian, channel_name=channel)


def row(librarian: Librarian) -> tuple[str, Any, Any]:
    fresh = Librarian.objects.get(pk=librarian.pk)
    return fresh.status, fresh.status_changed_at, fresh.gone_since


@pytest.fixture
def ana(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ana", campus="north")


@pytest.fixture
def ben(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ben", campus="south")


def test_the_first_console_brings_a_librarian_online_and_tells_every_patron(
    ana: Librarian, clock: Clock
) -> None:
    with capture_events() as events:
        open_console(ana)
    assert row(ana) == ("online", clock.now, None)
    assert_events_exactly(events, [presence_event(ana, status="online"), desk_status(online=True)])


def test_a_second_tab_and_closing_one_of_two_change_nothing_anyone_sees(
    ana: Librarian, clock: Clock
) -> None:
    open_console(ana, "tab-1")
    with capture_events() as events:
        open_console(ana, "tab-2")
        close_console(ana, "tab-1")
    assert_events_exactly(events, [])
    assert row(ana) == ("online", clock.now, None)
    assert list(ConsoleConnection.objects.values_list("channel_name", flat=True)) == ["tab-2"]


def test_closing_the_last_tab_starts_the_grace_period_and_tells_nobody_yet(
    ana: Librarian, clock: Clock
) -> None:
    open_console(ana)
    clock.advance(5)
    with capture_events() as events:
        close_console(ana)
    assert_events_exactly(events, [])
    assert row(ana)[2] == clock.now
    # Within the grace period she still counts: a reload must not flap the desk.
    assert is_anyone_online()
    assert [p["status"] for p in list_presence()] == ["online"]


def test_a_reload_within_the_grace_period_ends_it_silently(ana: Librarian, clock: Clock) -> None:
    open_console(ana)
    close_console(ana)
    clock.advance(30)
    with capture_events() as events:
        open_console(ana, "tab-2")
        gone = actions.do_end_grace_periods(now=clock.now + timezone.timedelta(seconds=61))
    assert gone == []
    assert_events_exactly(events, [])
    assert row(ana)[2] is None


@pytest.mark.engines
def test_when_the_grace_period_is_over_the_librarian_is_offline_once(
    ana: Librarian, ben: Librarian, clock: Clock
) -> None:
    open_console(ana, "ana-tab")
    open_console(ben, "ben-tab")
    close_console(ana, "ana-tab")
    clock.advance(59)
    assert actions.do_end_grace_periods() == []
    clock.advance(1)
    with capture_events() as events:
        assert actions.do_end_grace_periods() == [ana.pk]
        # Any number of processes run the job: the second run finds nothing to do.
        assert actions.do_end_grace_periods() == []
    # Ben is still online: patrons are not told anything.
    assert_events_exactly(events, [presence_event(ana, status="offline")])
    assert row(ana)[2] is None
    assert {p["display_name"]: p["status"] for p in list_presence()} == {
        "Ana": "offline",
        "Ben": "online",
    }


@pytest.mark.engines
def test_the_last_operator_going_offline_tells_every_patron_at_once(
    ana: Librarian, clock: Clock
) -> None:
    open_console(ana)
    close_console(ana)
    clock.advance(60)
    with capture_events() as events:
        actions.do_end_grace_periods()
    assert_events_exactly(
        events, [presence_event(ana, status="offline"), desk_status(online=False)]
    )
    assert not is_anyone_online()


def test_a_crashed_process_s_consoles_start_the_grace_period_when_swept(
    ana: Librarian, clock: Clock
) -> None:
    open_console(ana)
    clock.advance(61)  # the process stopped touching its rows a minute ago
    with capture_events() as events:
        assert actions.do_sweep_stale_connections() == 1
    assert_events_exactly(events, [])
    assert row(ana)[2] == clock.now
    clock.advance(60)
    assert actions.do_end_grace_periods() == [ana.pk]


@pytest.mark.engines
def test_going_away_stores_it_and_the_last_operator_away_empties_the_desk(
    ana: Librarian, ben: Librarian, clock: Clock
) -> None:
    open_console(ana, "ana-tab")
    open_console(ben, "ben-tab")
    clock.advance(10)
    with capture_events() as events:
        entry = actions.check_set_presence(ana, status="away")
    assert entry["status"] == "away"
    assert row(ana) == ("away", clock.now, None)
    assert_events_exactly(events, [presence_event(ana, status="away")])

    with capture_events() as events:
        actions.check_set_presence(ben, status="away")
    assert_events_exactly(events, [presence_event(ben, status="away"), desk_status(online=False)])
    # Everyone away counts as nobody online: no chat can start.
    with pytest.raises(ActionError) as caught:
        check_create_chat(campus_slug="north", name="Sam", email="", question="Hours?")
    assert caught.value.code == "offline"

    with capture_events() as events:
        actions.check_set_presence(ana, status="online")
    assert_events_exactly(events, [presence_event(ana, status="online"), desk_status(online=True)])


def test_setting_the_status_one_has_changes_and_sends_nothing(ana: Librarian, clock: Clock) -> None:
    open_console(ana)
    before = row(ana)
    clock.advance(10)
    with capture_events() as events:
        assert actions.check_set_presence(ana, status="online")["status"] == "online"
    assert_events_exactly(events, [])
    assert row(ana) == before


@pytest.mark.parametrize(
    "status",
    [None, "", "offline", "ONLINE", "online\u200b", " away", 1, True, ["away"], "x" * 10_000],
)
def test_a_status_other_than_online_or_away_is_refused(ana: Librarian, status: object) -> None:
    open_console(ana)
    with capture_events() as events, pytest.raises(ActionError) as caught:
        actions.check_set_presence(ana, status=status)
    assert (caught.value.code, caught.value.extra) == ("invalid", {"field": "status"})
    assert_events_exactly(events, [])
    assert row(ana)[0] == "online"


def test_an_away_librarian_who_went_offline_comes_back_online(ana: Librarian, clock: Clock) -> None:
    open_console(ana)
    actions.check_set_presence(ana, status="away")
    close_console(ana)
    clock.advance(60)
    actions.do_end_grace_periods()
    with capture_events() as events:
        open_console(ana, "tab-2")
    assert row(ana) == ("online", clock.now, None)
    assert_events_exactly(events, [presence_event(ana, status="online"), desk_status(online=True)])


def test_an_away_librarian_s_reload_keeps_them_away(ana: Librarian) -> None:
    open_console(ana)
    actions.check_set_presence(ana, status="away")
    close_console(ana)
    with capture_events() as events:
        open_console(ana, "tab-2")
    assert_events_exactly(events, [])
    assert row(ana)[0] == "away"


@pytest.mark.engines
def test_presence_counts_each_librarian_s_active_chats(
    ana: Librarian, ben: Librarian, online: Librarian
) -> None:
    open_console(ana)
    for question in ("One?", "Two?"):
        chat, _ = check_create_chat(campus_slug="north", name="", email="", question=question)
        do_claim_chat(chat.pk, acting_librarian=ana)
    assert {p["display_name"]: (p["status"], p["active_chats"]) for p in list_presence()} == {
        "Ana": ("online", 2),
        "Ben": ("offline", 0),
        "On Duty": ("online", 0),
    }


def test_the_campus_list_counts_only_operators_online(
    ana: Librarian, ben: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    cai = make_librarian("cai", campus="south")
    open_console(ana, "ana-tab")
    open_console(ben, "ben-tab")
    open_console(cai, "cai-tab")
    actions.check_set_presence(cai, status="away")

    def campuses() -> dict[str, tuple[bool, int]]:
        body = Client().get("/api/campuses").json()
        return {c["slug"]: (c["online"], c["operators_online"]) for c in body["campuses"]}

    assert campuses() == {"north": (True, 1), "south": (True, 1)}
    actions.check_set_presence(ana, status="away")
    actions.check_set_presence(ben, status="away")
    assert campuses() == {"north": (False, 0), "south": (False, 0)}
    response = Client().post(
        "/api/chats",
        {"campus": "north", "name": "", "email": "", "question": "Anyone?"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "offline")
