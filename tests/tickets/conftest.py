from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from refdesk.tickets.actions import do_create_ticket
from refdesk.tickets.models import Ticket


@pytest.fixture
def new_ticket(make_campus: Callable[..., Any]) -> Callable[..., Ticket]:
    """A ticket filed through the action, in a campus made on first use."""

    def make(
        campus: str = "north",
        *,
        name: str = "Sam",
        email: str = "sam@example.edu",
        question: str = "Can I renew a laptop loan over the weekend?",
    ) -> Ticket:
        from refdesk.campuses.models import Campus

        found = Campus.objects.filter(slug=campus).first() or make_campus(campus)
        return do_create_ticket(found, patron_name=name, patron_email=email, question=question)

    return make


from tests.support.mail import smtp_server  # noqa: E402, F401 - the fixture, for the email tests
