"""The snippet admin: admins add, change and delete global and campus snippets through the
actions, every change audited; personal snippets are not listed; supervisors read and are
refused changes; librarians are sent to the admin's login."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.core.models import AuditEntry
from refdesk.snippets.actions import check_snippet_text, do_add_snippet
from refdesk.snippets.models import Snippet
from tests.support import assert_events_exactly, capture_events

pytestmark = pytest.mark.django_db

ADD = "/admin/snippets/snippet/add/"
LIST = "/admin/snippets/snippet/"


def form(**fields: Any) -> dict[str, Any]:
    return {
        "scope": "global",
        "campus": "",
        "title": "Greeting",
        "body": "Hi {patron_name}!",
        "shortcut": "hi",
        "purpose": "greeting",
        "position": "0",
        **fields,
    }


def rows() -> list[tuple[Any, ...]]:
    return list(
        Snippet.objects.order_by("pk").values_list(
            "scope", "campus__slug", "title", "body", "shortcut", "purpose", "position"
        )
    )


def snippet_audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.filter(target_type="snippet")
        .order_by("pk")
        .values_list("actor_name", "action", "target_repr")
    )


def test_an_admin_adds_changes_and_deletes_snippets_with_audit(
    admin_client: Client, ana: Librarian
) -> None:
    north = Campus.objects.get(slug="north")
    assert admin_client.post(ADD, form()).status_code == 302
    response = admin_client.post(
        ADD, form(scope="campus", campus=str(north.pk), title="Hours", purpose="", shortcut="")
    )
    assert response.status_code == 302
    hours = Snippet.objects.get(title="Hours")
    change = f"/admin/snippets/snippet/{hours.pk}/change/"
    response = admin_client.post(
        change,
        form(
            scope="campus",
            campus=str(north.pk),
            title="Hours",
            body="We close at 10.",
            purpose="",
            shortcut="/Hours",
        ),
    )
    assert response.status_code == 302
    greeting = Snippet.objects.get(title="Greeting")
    delete = f"/admin/snippets/snippet/{greeting.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert rows() == [("campus", "north", "Hours", "We close at 10.", "hours", "", 0)]
    assert snippet_audit() == [
        ("root", "snippet.add", "Greeting (Global)"),
        ("root", "snippet.add", "Hours (North Campus Library)"),
        ("root", "snippet.change", "Hours (North Campus Library)"),
        ("root", "snippet.delete", "Greeting (Global)"),
    ]


def test_an_admin_s_change_reaches_every_open_console(
    admin_client: Client, ana: Librarian, django_capture_on_commit_callbacks: Any
) -> None:
    with capture_events() as sent, django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(ADD, form()).status_code == 302
    greeting = Snippet.objects.get(title="Greeting")
    assert_events_exactly(
        sent,
        [
            (
                "staff",
                {
                    "type": "snippets.changed",
                    "snippets": [
                        {
                            "id": greeting.pk,
                            "scope": "global",
                            "campus": None,
                            "title": "Greeting",
                            "body": "Hi {patron_name}!",
                            "shortcut": "hi",
                            "purpose": "greeting",
                            "mine": False,
                        }
                    ],
                },
            )
        ],
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scope": "campus"}, "campus"),
        ({"shortcut": "two words"}, "shortcut"),
        ({"title": ""}, "title"),
        ({"scope": "personal"}, "scope"),
    ],
)
def test_a_bad_snippet_is_a_form_error_with_nothing_written(
    admin_client: Client, fields: dict[str, str], field: str
) -> None:
    response = admin_client.post(ADD, form(**fields))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert rows() == []
    assert snippet_audit() == []


def test_personal_snippets_are_not_in_the_admin(admin_client: Client, ana: Librarian) -> None:
    mine = do_add_snippet(
        check_snippet_text(title="Ana's own", body="x"), scope="personal", owner=ana
    )
    assert "Ana&#x27;s own" not in admin_client.get(LIST).content.decode()
    assert admin_client.get(f"/admin/snippets/snippet/{mine.pk}/change/").status_code == 302


def test_a_supervisor_reads_snippets_and_may_change_none(supervisor_client: Client) -> None:
    shared = do_add_snippet(check_snippet_text(title="Shared", body="x"), scope="global")
    assert supervisor_client.get(LIST).status_code == 200
    change = f"/admin/snippets/snippet/{shared.pk}/change/"
    assert supervisor_client.post(ADD, form()).status_code == 403
    assert supervisor_client.post(change, form(title="Changed")).status_code == 403
    assert (
        supervisor_client.post(
            f"/admin/snippets/snippet/{shared.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert [r[2] for r in rows()] == ["Shared"]
    assert snippet_audit() == [("command line", "snippet.add", "Shared (Global)")]


def test_a_librarian_is_sent_to_the_admin_s_login(librarian_client: Client) -> None:
    for url in (LIST, ADD):
        response = librarian_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert librarian_client.post(ADD, form()).status_code == 302
    assert rows() == []
