"""The console's snippet frames through the real socket: the snapshot part, the acks and
the ``snippets`` event to the librarian's own consoles only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from refdesk.accounts.models import Librarian
from refdesk.snippets.actions import check_snippet_text, do_add_snippet
from refdesk.snippets.models import Snippet
from tests.support import answer_to, close, open_staff, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def add_global() -> int:
    text = check_snippet_text(title="Hello", body="Hi {patron_name}!", shortcut="hi")
    return do_add_snippet(text, scope="global", purpose="greeting").pk


async def test_the_snapshot_carries_the_snippets_and_each_campus_s_name_and_hours(
    make_librarian: Callable[..., Librarian],
) -> None:
    ana = await database_sync_to_async(make_librarian)("ana")
    hello = await database_sync_to_async(add_global)()
    socket, snapshot = await open_staff(ana)
    try:
        assert snapshot["snippets"] == [
            {
                "id": hello,
                "scope": "global",
                "campus": None,
                "title": "Hello",
                "body": "Hi {patron_name}!",
                "shortcut": "hi",
                "purpose": "greeting",
                "mine": False,
            }
        ]
        assert snapshot["snippet_campuses"] == {
            "north": {"name": "North Campus Library", "hours_today": "8am–10pm"}
        }
    finally:
        await close(socket)


async def test_a_personal_snippet_saved_and_deleted_is_acked_and_told_to_my_consoles_only(
    make_librarian: Callable[..., Librarian],
) -> None:
    ana = await database_sync_to_async(make_librarian)("ana")
    ben = await database_sync_to_async(make_librarian)("ben")
    mine, _ = await open_staff(ana)
    other_tab, _ = await open_staff(ana)
    bens, _ = await open_staff(ben)
    try:
        saved = await answer_to(
            mine, {"type": "snippet.save", "title": "Mine", "body": "Mine.", "shortcut": "/m"}
        )
        entry = {
            "id": saved["snippet"]["id"],
            "scope": "personal",
            "campus": None,
            "title": "Mine",
            "body": "Mine.",
            "shortcut": "m",
            "purpose": "",
            "mine": True,
        }
        assert saved == {"type": "ack", "ref": "answer-me", "snippet": entry}
        told = await receive_until(other_tab, "snippets")
        assert told == {"type": "snippets", "snippets": [entry]}
        refused = await answer_to(
            bens, {"type": "snippet.delete", "id": entry["id"]}, ref="not-mine"
        )
        assert (refused["type"], refused["code"]) == ("error", "not_found")
        bad = await answer_to(mine, {"type": "snippet.save", "title": "", "body": "x"}, ref=2)
        assert (bad["code"], bad["field"]) == ("invalid", "title")
        deleted = await answer_to(mine, {"type": "snippet.delete", "id": entry["id"]}, ref=3)
        assert deleted == {"type": "ack", "ref": 3, "snippet_id": entry["id"]}
        assert await receive_until(other_tab, "snippets", match=lambda f: not f["snippets"])
        assert not await database_sync_to_async(Snippet.objects.exists)()
        # Ben's console heard nothing of Ana's snippets.
        heard = []
        while not await bens.receive_nothing(timeout=0.2):
            heard.append((await bens.receive_json_from())["type"])
        assert "snippets" not in heard
    finally:
        for socket in (mine, other_tab, bens):
            await close(socket)
