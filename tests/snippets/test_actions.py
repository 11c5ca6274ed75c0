"""Snippet actions: the rows, the audit entries and the events they send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry
from refdesk.snippets.actions import (
    check_delete_personal_snippet,
    check_save_personal_snippet,
    check_snippet_text,
    do_add_snippet,
    do_change_snippet,
    do_delete_snippet,
)
from refdesk.snippets.models import Snippet
from refdesk.snippets.selectors import list_snippet_entries
from tests.support import assert_events_exactly, capture_events

# The events go out after the commit: the tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def root() -> Any:
    return get_user_model().objects.create_user("root", is_staff=True, is_superuser=True)


def audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.filter(target_type="snippet")
        .order_by("pk")
        .values_list("actor_name", "action", "target_type", "target_repr", "changes")
    )


def text(title: str = "Greeting", body: str = "Hi {patron_name}!", shortcut: str = "hi") -> Any:
    return check_snippet_text(title=title, body=body, shortcut=shortcut)


def test_the_text_is_cleaned_and_the_shortcut_forgiven_a_slash_and_capitals() -> None:
    checked = check_snippet_text(title="  Hello ", body="Hi.\nBye.", shortcut="/Greet-1")
    assert (checked.title, checked.body, checked.shortcut) == ("Hello", "Hi.\nBye.", "greet-1")


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"title": "", "body": "x"}, "invalid", "title"),
        ({"title": "x", "body": "  "}, "invalid", "body"),
        ({"title": "x" * 81, "body": "x"}, "too_long", "title"),
        ({"title": "x", "body": "x" * 4001}, "too_long", "body"),
        ({"title": "x", "body": "x", "shortcut": "two words"}, "invalid", "shortcut"),
        ({"title": "x", "body": "x", "shortcut": "x" * 31}, "invalid", "shortcut"),
    ],
)
def test_a_snippet_without_a_title_or_body_or_with_a_bad_shortcut_is_refused(
    fields: dict[str, str], code: str, field: str
) -> None:
    with pytest.raises(ActionError) as refused:
        check_snippet_text(**fields)
    assert (refused.value.code, refused.value.extra["field"]) == (code, field)


def test_global_and_campus_snippets_are_added_changed_and_deleted_with_audit(
    root: Any, make_campus: Callable[..., Campus]
) -> None:
    north = make_campus("north")
    south = make_campus("south")
    with capture_events() as sent:
        greeting = do_add_snippet(text(), scope="global", purpose="greeting", actor=root)
        local = do_add_snippet(
            text("Hours", "We close at 10.", ""), scope="campus", campus=north, actor=root
        )
        do_change_snippet(local, text("Hours", "We close at 10.", ""), actor=root)  # the same
        do_change_snippet(
            local, text("Hours", "We close at 9.", "hours"), campus=south, position=2, actor=root
        )
        do_delete_snippet(greeting, actor=root)
    # Every console gets the shared snippets after each change; the unchanged save sends
    # nothing.
    greeting_entry = {
        "id": greeting.pk,
        "scope": "global",
        "campus": None,
        "title": "Greeting",
        "body": "Hi {patron_name}!",
        "shortcut": "hi",
        "purpose": "greeting",
        "mine": False,
    }
    local_entry = {
        "id": local.pk,
        "scope": "campus",
        "campus": "north",
        "title": "Hours",
        "body": "We close at 10.",
        "shortcut": "",
        "purpose": "",
        "mine": False,
    }
    moved = {**local_entry, "campus": "south", "body": "We close at 9.", "shortcut": "hours"}
    assert_events_exactly(
        sent,
        [
            ("staff", {"type": "snippets.changed", "snippets": [greeting_entry]}),
            ("staff", {"type": "snippets.changed", "snippets": [local_entry, greeting_entry]}),
            ("staff", {"type": "snippets.changed", "snippets": [moved, greeting_entry]}),
            ("staff", {"type": "snippets.changed", "snippets": [moved]}),
        ],
    )
    assert list(
        Snippet.objects.values_list(
            "scope", "campus__slug", "title", "body", "shortcut", "position"
        )
    ) == [("campus", "south", "Hours", "We close at 9.", "hours", 2)]
    assert audit() == [
        (
            "root",
            "snippet.add",
            "snippet",
            "Greeting (Global)",
            {
                "scope": "global",
                "campus": None,
                "owner": None,
                "title": "Greeting",
                "body": "Hi {patron_name}!",
                "shortcut": "hi",
                "purpose": "greeting",
                "position": 0,
            },
        ),
        (
            "root",
            "snippet.add",
            "snippet",
            "Hours (North Campus Library)",
            {
                "scope": "campus",
                "campus": "north",
                "owner": None,
                "title": "Hours",
                "body": "We close at 10.",
                "shortcut": "",
                "purpose": "",
                "position": 0,
            },
        ),
        (
            "root",
            "snippet.change",
            "snippet",
            "Hours (South Campus Library)",
            {
                "body": ["We close at 10.", "We close at 9."],
                "shortcut": ["", "hours"],
                "position": [0, 2],
                "campus": ["north", "south"],
            },
        ),
        (
            "root",
            "snippet.delete",
            "snippet",
            "Greeting (Global)",
            {
                "scope": "global",
                "title": "Greeting",
                "body": "Hi {patron_name}!",
                "shortcut": "hi",
                "purpose": "greeting",
                "position": 0,
            },
        ),
    ]


def test_a_snippet_whose_scope_does_not_fit_its_campus_or_owner_is_refused(
    make_campus: Callable[..., Campus], make_librarian: Callable[..., Librarian]
) -> None:
    north = make_campus("north")
    ana = make_librarian("ana")
    for scope, place in [
        ("global", {"campus": north}),
        ("campus", {}),
        ("personal", {}),
        ("personal", {"owner": ana, "campus": north}),
        ("everyone", {}),
    ]:
        with pytest.raises(ActionError) as refused:
            do_add_snippet(text(), scope=scope, **place)
        assert refused.value.extra["field"] == "scope"
    with pytest.raises(ActionError):
        do_add_snippet(text(), scope="global", purpose="small_talk")
    assert not Snippet.objects.exists()
    assert not AuditEntry.objects.filter(target_type="snippet").exists()


def test_personal_snippets_are_saved_and_deleted_by_their_owner_and_told_to_their_consoles(
    make_librarian: Callable[..., Librarian],
) -> None:
    ana = make_librarian("ana")
    do_add_snippet(text("Hello", "Hello!", "hello"), scope="global", purpose="greeting")
    with capture_events() as sent:
        added = check_save_personal_snippet(
            ana, snippet_id=None, title="Mine", body="Ana's line.", shortcut="mine"
        )
        changed = check_save_personal_snippet(
            ana, snippet_id=added["id"], title="Mine", body="Ana's better line.", shortcut=""
        )
        deleted = check_delete_personal_snippet(ana, snippet_id=added["id"])
    mine = {
        "id": added["id"],
        "scope": "personal",
        "campus": None,
        "title": "Mine",
        "shortcut": "mine",
        "purpose": "",
        "mine": True,
        "body": "Ana's line.",
    }
    assert added == mine
    assert changed == {**mine, "body": "Ana's better line.", "shortcut": ""}
    assert deleted == added["id"]
    hello = {
        "id": Snippet.objects.get(title="Hello").pk,
        "scope": "global",
        "campus": None,
        "title": "Hello",
        "body": "Hello!",
        "shortcut": "hello",
        "purpose": "greeting",
        "mine": False,
    }
    assert_events_exactly(
        sent,
        [
            (f"librarian.{ana.pk}", {"type": "snippets", "snippets": [mine, hello]}),
            (f"librarian.{ana.pk}", {"type": "snippets", "snippets": [changed, hello]}),
            (f"librarian.{ana.pk}", {"type": "snippets", "snippets": [hello]}),
        ],
    )
    assert [(a[0], a[1], a[3]) for a in audit()][-3:] == [
        ("ana", "snippet.add", "Mine (Ana's)"),
        ("ana", "snippet.change", "Mine (Ana's)"),
        ("ana", "snippet.delete", "Mine (Ana's)"),
    ]


def test_nobody_changes_or_deletes_another_librarian_s_or_a_global_snippet_from_the_console(
    make_librarian: Callable[..., Librarian],
) -> None:
    ana = make_librarian("ana")
    ben = make_librarian("ben")
    bens = check_save_personal_snippet(ben, snippet_id=None, title="B", body="B.", shortcut="")
    shared = do_add_snippet(text(), scope="global")
    before = audit()
    for snippet_id in (bens["id"], shared.pk, 10**9):
        with pytest.raises(ActionError) as refused:
            check_save_personal_snippet(
                ana, snippet_id=snippet_id, title="X", body="X", shortcut=""
            )
        assert refused.value.code == "not_found"
        with pytest.raises(ActionError) as refused:
            check_delete_personal_snippet(ana, snippet_id=snippet_id)
        assert refused.value.code == "not_found"
    with pytest.raises(ActionError) as refused:
        check_delete_personal_snippet(ana, snippet_id="1")
    assert refused.value.code == "invalid"
    assert audit() == before
    assert Snippet.objects.count() == 2


def test_a_librarian_gets_their_own_then_every_campus_s_then_global_snippets(
    make_librarian: Callable[..., Librarian], make_campus: Callable[..., Campus]
) -> None:
    ana = make_librarian("ana", campus="north")
    ben = make_librarian("ben", campus="south")
    south = Campus.objects.get(slug="south")
    do_add_snippet(text("G2"), scope="global", position=2)
    do_add_snippet(text("G1"), scope="global", position=1)
    do_add_snippet(text("S"), scope="campus", campus=south)
    check_save_personal_snippet(ana, snippet_id=None, title="A", body="A.", shortcut="")
    check_save_personal_snippet(ben, snippet_id=None, title="B", body="B.", shortcut="")
    assert [(s["title"], s["mine"]) for s in list_snippet_entries(ana)] == [
        ("A", True),
        ("S", False),
        ("G1", False),
        ("G2", False),
    ]
