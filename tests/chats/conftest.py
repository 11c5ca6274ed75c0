from __future__ import annotations

from collections.abc import Callable
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
