"""The librarian admin: one form for the account and its profile, through the actions;
passwords through Django's own password page; the last active admin stays one."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from refdesk.accounts.actions import do_update_librarian
from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.core.errors import ActionError
from tests.admin.support import audit_rows, errors_of

ADD = "/admin/accounts/librarian/add/"
LIST = "/admin/accounts/librarian/"


def change_url(librarian: Librarian) -> str:
    return f"/admin/accounts/librarian/{librarian.pk}/change/"


def password_url(librarian: Librarian) -> str:
    return f"/admin/accounts/librarian/{librarian.pk}/password/"


def people() -> list[tuple[Any, ...]]:
    """Every librarian with their account's flags."""
    return list(
        Librarian.objects.order_by("user__username").values_list(
            "user__username",
            "display_name",
            "user__email",
            "home_campus__slug",
            "role",
            "user__is_active",
            "user__is_staff",
            "user__is_superuser",
            "user__password",
        )
    )


def add_form(**fields: str) -> dict[str, str]:
    north = Campus.objects.get(slug="north")
    return {
        "username": "eve",
        "display_name": "Eve",
        "email": "eve@example.edu",
        "home_campus": str(north.pk),
        "role": "supervisor",
        "active": "on",
        "usable_password": "true",
        "password1": "a-good-long-passphrase",
        "password2": "a-good-long-passphrase",
        **fields,
    }


def change_form(librarian: Librarian, **fields: str) -> dict[str, str]:
    data = {
        "display_name": librarian.display_name,
        "email": librarian.user.email,
        "home_campus": str(librarian.home_campus_id),
        "role": librarian.role,
        "active": "on" if librarian.user.is_active else "",
        **fields,
    }
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.django_db
def test_an_admin_adds_a_librarian_with_a_password(admin_client: Client) -> None:
    before = audit_rows()
    response = admin_client.post(ADD, add_form())
    assert response.status_code == 302, errors_of(response)
    eve = Librarian.objects.select_related("user").get(user__username="eve")
    assert (eve.display_name, eve.user.email, eve.home_campus.slug, eve.role) == (
        "Eve",
        "eve@example.edu",
        "north",
        "supervisor",
    )
    assert (eve.user.is_active, eve.user.is_staff, eve.user.is_superuser) == (True, True, False)
    assert eve.user.check_password("a-good-long-passphrase")
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "librarian.add",
            "Eve (eve)",
            {
                "username": "eve",
                "display_name": "Eve",
                "email": "eve@example.edu",
                "home_campus": "north",
                "role": "supervisor",
                "active": True,
            },
        )
    ]


@pytest.mark.django_db
def test_an_admin_adds_a_librarian_with_no_password_yet(admin_client: Client) -> None:
    response = admin_client.post(
        ADD, add_form(usable_password="false", password1="", password2="", role="librarian")
    )
    assert response.status_code == 302, errors_of(response)
    user = get_user_model().objects.get(username="eve")
    assert not user.has_usable_password()
    assert (user.is_staff, user.is_superuser) == (False, False)


BAD_ADD = {
    "passwords differ": ({"password2": "another-long-passphrase"}, "didn’t match"),
    "password too common": ({"password1": "password", "password2": "password"}, "too common"),
    "password too short": ({"password1": "x9!", "password2": "x9!"}, "too short"),
    "no password and not said so": ({"password1": "", "password2": ""}, "required"),
    "username taken": ({"username": "ANA"}, "The username 'ANA' is taken."),
    "username with spaces": ({"username": "eve smith"}, "Enter a valid username"),
    "unknown role": ({"role": "overlord"}, "Select a valid choice"),
    "email not an email": ({"email": "eve-at-example"}, "Enter a valid email address"),
    "display name with a direction override": (
        {"display_name": "Eve \u202eevil"},
        "Remove the invisible",
    ),
    "display name of only zero-width characters": ({"display_name": "\u200b"}, "required"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "message"), BAD_ADD.values(), ids=BAD_ADD.keys())
def test_bad_input_when_adding_a_librarian_is_a_form_error_and_nothing_is_written(
    admin_client: Client, ana: Librarian, fields: dict[str, str], message: str
) -> None:
    before, rows = audit_rows(), people()
    response = admin_client.post(ADD, add_form(**fields))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert (audit_rows(), people()) == (before, rows)


@pytest.mark.django_db
def test_an_admin_changes_a_librarian_s_role_campus_and_email(
    admin_client: Client, ana: Librarian, make_campus: Any
) -> None:
    south = make_campus("south")
    before = audit_rows()
    data = change_form(ana, role="supervisor", home_campus=str(south.pk), email="ana@x.edu")
    response = admin_client.post(change_url(ana), data)
    assert response.status_code == 302, errors_of(response)
    ana.refresh_from_db()
    ana.user.refresh_from_db()
    assert (ana.role, ana.home_campus.slug, ana.user.email, ana.user.is_staff) == (
        "supervisor",
        "south",
        "ana@x.edu",
        True,
    )
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "librarian.change",
            "Ana (ana)",
            {
                "email": ["", "ana@x.edu"],
                "home_campus": ["north", "south"],
                "role": ["librarian", "supervisor"],
            },
        )
    ]


@pytest.mark.django_db
def test_an_admin_deactivates_a_librarian(admin_client: Client, ana: Librarian) -> None:
    before = audit_rows()
    response = admin_client.post(change_url(ana), change_form(ana, active=""))
    assert response.status_code == 302, errors_of(response)
    ana.user.refresh_from_db()
    assert not ana.user.is_active
    assert audit_rows()[len(before) :] == [
        ("root", "librarian.change", "Ana (ana)", {"active": [True, False]})
    ]


@pytest.mark.django_db
def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(
    admin_client: Client, root: Librarian
) -> None:
    before, rows = audit_rows(), people()
    for fields, field in (({"role": "supervisor"}, "role"), ({"active": ""}, "active")):
        response = admin_client.post(change_url(root), change_form(root, **fields))
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert list(errors) == [field]
        assert "Root is the last active admin" in errors_of(response)
    assert (audit_rows(), people()) == (before, rows)


@pytest.mark.django_db
def test_an_admin_may_step_down_when_another_admin_is_active(
    admin_client: Client, root: Librarian, make_librarian: Any
) -> None:
    make_librarian("sam", role="admin")
    response = admin_client.post(change_url(root), change_form(root, role="supervisor"))
    assert response.status_code == 302, errors_of(response)
    root.refresh_from_db()
    assert root.role == "supervisor"


@pytest.mark.django_db
def test_the_action_refuses_to_leave_the_desk_without_an_active_admin(
    root: Librarian, make_librarian: Any
) -> None:
    sam = make_librarian("sam", role="admin")
    do_update_librarian(
        sam, display_name="Sam", email="", campus=sam.home_campus, role="admin", active=False
    )
    before, rows = audit_rows(), people()
    for role, active in (("librarian", True), ("admin", False)):
        with pytest.raises(ActionError) as refused:
            do_update_librarian(
                root,
                display_name="Root",
                email="",
                campus=root.home_campus,
                role=role,
                active=active,
                actor=root.user,
            )
        assert refused.value.code == "invalid"
        assert refused.value.message == (
            "Root is the last active admin; make another librarian an admin first."
        )
    assert (audit_rows(), people()) == (before, rows)


@pytest.mark.django_db
def test_the_change_page_links_to_the_password_page_which_sets_it_through_the_action(
    admin_client: Client, ana: Librarian
) -> None:
    page = admin_client.get(change_url(ana)).content.decode()
    assert f'href="{password_url(ana)}"' in page
    assert admin_client.get(password_url(ana)).status_code == 200
    before = audit_rows()
    response = admin_client.post(
        password_url(ana),
        {"usable_password": "true", "password1": "new-long-passphrase", "password2": "x"},
    )
    assert response.status_code == 200
    assert audit_rows() == before
    response = admin_client.post(
        password_url(ana),
        {
            "usable_password": "true",
            "password1": "new-long-passphrase",
            "password2": "new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(ana)
    ana.user.refresh_from_db()
    assert ana.user.check_password("new-long-passphrase")
    assert audit_rows()[len(before) :] == [
        ("root", "librarian.password", "Ana (ana)", {"password": "set"})
    ]
    # The admin who changed it stays logged in.
    assert admin_client.get(LIST).status_code == 200


@pytest.mark.django_db
def test_librarians_are_never_deleted_from_the_admin(admin_client: Client, ana: Librarian) -> None:
    url = f"/admin/accounts/librarian/{ana.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Librarian.objects.filter(pk=ana.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["supervisor", "librarian"])
def test_supervisors_get_403_and_librarians_the_login_on_every_librarian_page(
    request: pytest.FixtureRequest, ana: Librarian, who: str
) -> None:
    client = request.getfixturevalue(f"{who}_client")
    before, rows = audit_rows(), people()
    urls = (LIST, ADD, change_url(ana), password_url(ana))
    for method in ("get", "post"):
        for url in urls:
            data = (add_form() if url == ADD else change_form(ana)) if method == "post" else None
            response = getattr(client, method)(url, data)
            if who == "supervisor":
                assert response.status_code == 403, (method, url)
            else:
                assert response.status_code == 302, (method, url)
                assert response["Location"] == f"/admin/login/?next={url}"
    assert (audit_rows(), people()) == (before, rows)
