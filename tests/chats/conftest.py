from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from refdesk.chats.actions import do_create_chat
from refdesk.chats.models import Chat


@pytest.fixture
def new_chat(make_campus: Callable[..., Any]) -> Callable[..., tuple[Chat, str]]:
    def make(
        campus: str = "north",
        *,
        name: str = "Sam",
        question: str = "Do you have APA guides?",
        email: str = "",
    ) -> tuple[Chat, str]:
        from refdesk.campuses.models import Campus

        found = Campus.objects.filter(slug=campus).first() or make_campus(campus)
        return do_create_chat(found, patron_name=name, patron_email=email, question=question)

    return make


@pytest.fixture
def sent_events(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[list[tuple[tuple[str, ...], dict[str, Any]]]]:
    """Every event the actions publish, as (groups, event), recorded after commit."""
    from refdesk.core import realtime

    sent: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    original = realtime._after_commit

    def record(groups: tuple[str, ...], message: dict[str, Any]) -> None:
        sent.append((groups, json.loads(message["text"])))
        original(groups, message)

    monkeypatch.setattr(realtime, "_after_commit", record)
    yield sent


@pytest.fixture(autouse=True)
def _forget_abandoned_consoles() -> Iterator[None]:
    """Consoles a test left open belong to that test's event loop: forget them after it."""
    yield
    from refdesk.chats import consumers

    consumers._consoles.clear()
