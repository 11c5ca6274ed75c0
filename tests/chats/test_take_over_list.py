"""``chat.list``: a supervisor lists the chats a librarian holds, to take one over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.chats import actions
from refdesk.chats.models import Chat
from refdesk.chats.selectors import chat_summary, get_chat_for_staff
from tests.support import answer_to, open_staff

pytestmark = pytest.mark.django_db(transaction=True)


def summary(chat_id: int) -> dict[str, Any]:
    chat = get_chat_for_staff(chat_id)
    assert chat is not None
    return dict(chat_summary(chat))


async def test_a_supervisor_lists_a_librarians_chats_and_takes_one_over(
    make_librarian: Callable[..., Librarian], new_chat: Callable[..., tuple[Chat, str]]
) -> None:
    def setup() -> tuple[Librarian, Librarian, Librarian, list[int]]:
        ana = make_librarian("ana")
        ben = make_librarian("ben", campus="south")
        dee = make_librarian("dee", role="supervisor")
        held = []
        for question in ("First?", "Second?"):
            chat, _ = new_chat(question=question)
            actions.do_claim_chat(chat.pk, acting_librarian=ana)
            held.append(chat.pk)
        waiting, _ = new_chat(question="Nobody's yet")
        assert waiting.pk not in held
        return ana, ben, dee, held

    ana, ben, dee, held = await database_sync_to_async(setup)()
    console, _ = await open_staff(dee)
    answer = await answer_to(console, {"type": "chat.list", "librarian_id": ana.pk})
    expected = [await database_sync_to_async(summary)(chat_id) for chat_id in held]
    assert answer == {"type": "ack", "ref": "answer-me", "librarian_id": ana.pk, "chats": expected}
    empty = await answer_to(console, {"type": "chat.list", "librarian_id": 10**9})
    assert empty["chats"] == []
    for bad in ("3", None, -1, True):
        refused = await answer_to(console, {"type": "chat.list", "librarian_id": bad})
        assert (refused["type"], refused["code"], refused["field"]) == (
            "error",
            "invalid",
            "librarian_id",
        )

    taken = await answer_to(console, {"type": "chat.take_over", "chat_id": held[0]})
    assert taken["chat"]["claimed_by_id"] == dee.pk
    left = await answer_to(console, {"type": "chat.list", "librarian_id": ana.pk})
    assert [chat["id"] for chat in left["chats"]] == [held[1]]
    await console.disconnect()

    # A librarian who is not a supervisor may not list another's chats.
    theirs, _ = await open_staff(ben)
    refused = await answer_to(theirs, {"type": "chat.list", "librarian_id": ana.pk})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    await theirs.disconnect()
