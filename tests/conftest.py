"""Shared fixtures: campuses and librarians made through the real actions."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from refdesk.accounts.models import ConsoleConnection, Librarian

if TYPE_CHECKING:
    from tests.support import SentEvent


def services_required() -> bool:
    """CI sets REFDESK_REQUIRE_SERVICES=1: a missing PostgreSQL or Redis is then a failure."""
    return os.environ.get("REFDESK_REQUIRE_SERVICES") == "1"


@pytest.fixture
def make_campus(db: None) -> Callable[..., object]:
    from refdesk.campuses.actions import do_set_weekly_hours, do_upsert_campus

    def make(slug: str = "north", name: str | None = None, colour: str = "#1f4e79"):  # type: ignore[no-untyped-def]
        campus = do_upsert_campus(
            slug,
            name=name or f"{slug.title()} Campus Library",
            colour=colour,
            timezone="America/New_York",
        )
        do_set_weekly_hours(campus, hours={d: [(dt.time(8), dt.time(22))] for d in range(7)})
        return campus

    return make


@pytest.fixture
def make_librarian(db: None, make_campus: Callable[..., object]) -> Callable[..., Librarian]:
    from refdesk.accounts.actions import do_add_librarian
    from refdesk.campuses.models import Campus

    def make(
        username: str = "ana",
        *,
        campus: str = "north",
        role: str = "librarian",
        display_name: str = "",
    ) -> Librarian:
        found = Campus.objects.filter(slug=campus).first() or make_campus(campus)
        return do_add_librarian(
            username,
            password="refdesk-demo",
            campus=found,
            role=role,  # type: ignore[arg-type]
            display_name=display_name or username.capitalize(),
        )

    return make


@pytest.fixture
def online(make_librarian: Callable[..., Librarian]) -> Librarian:
    """A librarian with an open console, so patrons may start chats."""
    librarian = make_librarian("onduty", campus="north", display_name="On Duty")
    now = timezone.now()
    ConsoleConnection.objects.create(
        librarian=librarian,
        channel_name="test-console",
        process="test",
        connected_at=now,
        seen_at=now,
    )
    return librarian


@pytest.fixture(scope="session", autouse=True)
def _close_database_thread(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Close the database lanes' connections (every thread's) before the test database is
    dropped."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from refdesk.core.db import close_connections_sync

    with django_db_blocker.unblock():
        close_connections_sync()
        # Channels' session middleware reads through asgiref's shared sync thread.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def sent_events() -> Iterator[list[SentEvent]]:
    """Every event the actions publish during the test, as (groups, event), recorded after
    commit (see ``tests.support.capture_events``)."""
    from tests.support import capture_events

    with capture_events() as sent:
        yield sent


@pytest.fixture(autouse=True)
def _forget_watched_terms() -> None:
    """Each test's messages are screened with the terms of its own database."""
    from refdesk.safety.detector import forget_terms

    forget_terms()


@pytest.fixture(autouse=True)
def _forget_abandoned_consoles() -> Iterator[None]:
    """Consoles a test left open belong to that test's event loop: forget them after it."""
    yield
    from tests.support import console_registry

    console_registry().clear()


@pytest.fixture
def report_measure(record_property: Callable[[str, object], None]) -> Callable[[str], None]:
    """``report_measure(text)``: a figure a test measured (a detector's precision, say),
    printed in the run's summary under "measured", from every worker."""

    def report(text: str) -> None:
        record_property("measured", text)

    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the tests measured (``report_measure``), whichever worker ran them."""
    lines = [
        f"{report.nodeid}:\n{value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == "measured"
    ]
    if lines:
        terminalreporter.section("measured")
        for line in lines:
            terminalreporter.write_line(line)
