"""The campus panel's facts and the staff notes: the action with its audit and event, the
console's frames (supervisors edit, librarians are refused), and the snapshot's part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.campuses.actions import (
    MAX_STAFF_NOTES_CHARS,
    ClosureSpec,
    LinkSpec,
    do_set_closures,
    do_set_links,
    do_set_staff_notes,
)
from refdesk.campuses.models import Campus
from refdesk.campuses.selectors import get_campus_facts
from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry
from refdesk.core.realtime import STAFF_GROUP
from tests.support import assert_events_exactly, capture_events, close, open_staff
from tests.support.sockets import answer_to

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 3 March 2026, 3pm in New York.
TUESDAY_3PM = dt.datetime(2026, 3, 3, 15, tzinfo=NEW_YORK)


@pytest.mark.django_db
def test_facts_are_todays_hours_status_exceptions_links_and_notes(
    make_campus: Callable[..., Campus],
) -> None:
    campus = make_campus("north", name="North Library")
    do_set_links(campus, links=[LinkSpec("catalogue", "Catalogue", "https://cat.example.edu/")])
    do_set_closures(
        campus, closures=[ClosureSpec(dt.date(2026, 3, 5), dt.date(2026, 3, 5), "Snow")]
    )
    do_set_staff_notes(campus, "Laptops at the desk.\nRooms online.")
    # Read on that day: the panel reads closures from two days ago on.
    with time_machine.travel(TUESDAY_3PM, tick=False):
        facts = get_campus_facts("north")
    assert facts == {
        "campus": "north",
        "name": "North Library",
        "timezone": "America/New_York",
        "date": "2026-03-03",
        "hours_today": "8am–10pm",
        "open_now": True,
        "status": "Open now, until 10pm",
        "exceptions": [["Thursday 5 March", "Closed (Snow)"]],
        "links": [{"kind": "catalogue", "title": "Catalogue", "url": "https://cat.example.edu/"}],
        "notes": "Laptops at the desk.\nRooms online.",
        # The next change by the clock: closing at 10pm New York time.
        "changes_at": "2026-03-04T03:00:00+00:00",
    }
    assert get_campus_facts("nowhere") is None
    assert get_campus_facts(["north"]) is None


@pytest.mark.django_db
def test_after_closing_the_facts_change_next_at_the_campus_s_midnight(
    make_campus: Callable[..., Campus],
) -> None:
    make_campus("north")
    facts = get_campus_facts("north", now=TUESDAY_3PM.replace(hour=23))
    assert facts is not None
    assert (facts["open_now"], facts["status"]) == (False, "Closed now, opens at 8am tomorrow")
    assert facts["changes_at"] == "2026-03-04T05:00:00+00:00"


@pytest.mark.django_db(transaction=True)
def test_setting_staff_notes_audits_and_tells_every_console(
    make_campus: Callable[..., Campus], make_librarian: Callable[..., Librarian]
) -> None:
    campus = make_campus("north")
    dee = make_librarian("dee", role="supervisor")
    with capture_events() as events:
        assert do_set_staff_notes(campus, "  Printing: ground floor.  ", actor=dee.user) is True
    assert Campus.objects.get(pk=campus.pk).staff_notes == "Printing: ground floor."
    facts = get_campus_facts("north")
    assert facts is not None and facts["notes"] == "Printing: ground floor."
    assert_events_exactly(events, [(STAFF_GROUP, {"type": "campus.facts", "facts": facts})])
    entry = AuditEntry.objects.get(action="campus.staff_notes")
    assert (entry.actor_name, entry.target_type, entry.target_id, entry.changes) == (
        "dee",
        "campus",
        str(campus.pk),
        {"staff_notes": ["", "Printing: ground floor."]},
    )
    # The same notes again: nothing written, audited or sent.
    with capture_events() as again:
        assert do_set_staff_notes(campus, "Printing: ground floor.", actor=dee.user) is False
    assert again == []
    assert AuditEntry.objects.filter(action="campus.staff_notes").count() == 1


@pytest.mark.django_db
def test_notes_over_the_limit_are_refused_whole(make_campus: Callable[..., Campus]) -> None:
    campus = make_campus("north")
    with pytest.raises(ActionError) as refused:
        do_set_staff_notes(campus, "x" * (MAX_STAFF_NOTES_CHARS + 1))
    assert refused.value.code == "too_long"
    assert Campus.objects.get(pk=campus.pk).staff_notes == ""
    assert not AuditEntry.objects.filter(action="campus.staff_notes").exists()


@pytest.mark.django_db(transaction=True)
async def test_a_librarian_may_not_set_notes_and_a_supervisor_may(
    make_campus: Callable[..., Campus], make_librarian: Callable[..., Librarian]
) -> None:
    await database_sync_to_async(make_campus)("north")
    ana = await database_sync_to_async(make_librarian)("ana")
    dee = await database_sync_to_async(make_librarian)("dee", role="supervisor")
    console, snapshot = await open_staff(ana)
    boss, _ = await open_staff(dee)
    try:
        assert [f["campus"] for f in snapshot["campus_facts"]] == ["north"]
        assert snapshot["interview_questions"] == []
        refused = await answer_to(
            console, {"type": "campus.notes.set", "campus": "north", "notes": "Mine now"}
        )
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        assert (await database_sync_to_async(Campus.objects.get)(slug="north")).staff_notes == ""

        with capture_events() as events:
            ack = await answer_to(
                boss, {"type": "campus.notes.set", "campus": "north", "notes": "Rooms online."}
            )
        assert ack["type"] == "ack"
        assert ack["facts"]["notes"] == "Rooms online."
        assert_events_exactly(
            events, [(STAFF_GROUP, {"type": "campus.facts", "facts": ack["facts"]})]
        )
        heard = await console.receive_json_from(timeout=5)
        assert heard == {"type": "campus.facts", "facts": ack["facts"]}

        unknown = await answer_to(console, {"type": "campus.facts", "campus": "nowhere"})
        assert (unknown["type"], unknown["code"]) == ("error", "unknown_campus")
        fresh = await answer_to(console, {"type": "campus.facts", "campus": "north"})
        assert fresh["facts"]["notes"] == "Rooms online."
    finally:
        await close(console, boss)
