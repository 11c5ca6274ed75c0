"""Instances loaded by one prepared statement are the instances the ORM loads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat
from refdesk.core.rows import load_related

pytestmark = [pytest.mark.django_db, pytest.mark.engines]


@pytest.fixture
def people(make_librarian: Callable[..., Librarian]) -> dict[str, Librarian]:
    return {
        "ana": make_librarian("ana"),
        "ben": make_librarian("ben", campus="south", role="supervisor"),
    }


def fields_of(instance: models.Model | None) -> dict[str, Any] | None:
    if instance is None:
        return None
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_chat_with_its_campus_and_librarian_is_what_select_related_loads(
    people: dict[str, Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    waiting, _ = new_chat(name="Rae", question="Where is the APA guide?")
    claimed, _ = new_chat(name="Sam", question="Hours?")
    actions.do_claim_chat(claimed.pk, acting_librarian=people["ana"])

    for chat_id in (waiting.pk, claimed.pk):
        (loaded,) = load_related(Chat, ("campus", "librarian"), "t.id = %s", [chat_id])
        orm = Chat.objects.select_related("campus", "librarian").get(pk=chat_id)
        assert fields_of(loaded) == fields_of(orm)
        assert fields_of(loaded.campus) == fields_of(orm.campus)
        assert fields_of(loaded.librarian) == fields_of(orm.librarian)
        assert not loaded._state.adding
        assert loaded.created_at.tzinfo is not None
    (unclaimed,) = load_related(Chat, ("campus", "librarian"), "t.id = %s", [waiting.pk])
    assert unclaimed.librarian is None
    assert load_related(Chat, ("campus",), "t.id = %s", [999_999]) == []


def test_librarians_with_their_user_and_campus_need_no_more_queries(
    people: dict[str, Librarian], django_assert_num_queries: Any
) -> None:
    ids = sorted(lib.pk for lib in people.values())
    with django_assert_num_queries(1):
        loaded = load_related(Librarian, ("user", "home_campus"), "t.id IN (%s, %s)", ids[:2])
        seen = [(lib.user.username, lib.user.is_active, lib.home_campus.slug) for lib in loaded]
    orm = Librarian.objects.select_related("user", "home_campus").filter(pk__in=ids[:2])
    assert sorted(seen) == sorted(
        (lib.user.username, lib.user.is_active, lib.home_campus.slug) for lib in orm
    )


def test_a_field_that_is_not_a_foreign_key_is_refused() -> None:
    with pytest.raises(TypeError, match="not a foreign key"):
        load_related(Chat, ("patron_name",), "t.id = %s", [1])
