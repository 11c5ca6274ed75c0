"""Logging in: lockout with backoff after repeated failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate
from django.http import HttpResponse
from django.test import Client

from refdesk.accounts.models import Librarian
from tests.accounts.conftest import Clock

pytestmark = pytest.mark.django_db


def attempt(password: str, username: str = "ana", address: str = "192.0.2.20") -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return response.status_code


def test_five_failures_lock_the_username_even_for_the_right_password(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    assert [attempt("wrong") for _ in range(5)] == [200] * 5
    assert attempt("refdesk-demo") == 429
    page = Client(REMOTE_ADDR="192.0.2.20").post(
        "/accounts/login/", {"username": "ana", "password": "refdesk-demo"}
    )
    assert "Too many failed log-ins" in page.content.decode()
    assert int(page["Retry-After"]) > 0


def test_the_lockout_doubles_with_each_further_failure(
    make_librarian: Callable[..., Librarian], settings: object
) -> None:
    from refdesk.accounts import throttle

    make_librarian("ana")
    for _ in range(5):
        attempt("wrong")
    first = throttle.seconds_locked("ana", "192.0.2.20")
    throttle.record_failure("ana", "192.0.2.20")
    second = throttle.seconds_locked("ana", "192.0.2.20")
    assert 55 <= first <= 60
    assert 115 <= second <= 120


def test_a_successful_login_clears_earlier_failures(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    for _ in range(4):
        attempt("wrong")
    assert attempt("refdesk-demo") == 302
    assert [attempt("wrong") for _ in range(4)] == [200] * 4
    assert attempt("refdesk-demo") == 302


def test_failures_for_one_user_do_not_lock_another(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    make_librarian("ben", campus="south")
    for _ in range(6):
        attempt("wrong")
    assert attempt("refdesk-demo", username="ben", address="192.0.2.21") == 302


def test_many_failures_from_one_address_lock_that_address(
    make_librarian: Callable[..., Librarian],
) -> None:
    make_librarian("ana")
    for i in range(30):
        attempt("wrong", username=f"guess{i}", address="192.0.2.99")
    assert attempt("refdesk-demo", address="192.0.2.99") == 429
    assert attempt("refdesk-demo", address="192.0.2.100") == 302


# ---------------------------------------------------------------------------
# One throttle for every spelling of a name and every login path
# ---------------------------------------------------------------------------

DESK_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
FULL_WIDTH, MATHEMATICAL, MODIFIER = "ａｎａ", "𝐚𝐧𝐚", "ᵃⁿᵃ"


def post_login(
    password: str, username: str = "ana", address: str = "192.0.2.20", path: str = DESK_LOGIN
) -> HttpResponse:
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


@pytest.mark.engines
def test_failures_under_every_unicode_spelling_of_a_name_count_together(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    spellings = ["ana", FULL_WIDTH, MATHEMATICAL, MODIFIER, "ana"]
    assert [post_login("wrong", username=name).status_code for name in spellings] == [200] * 5
    for name in ["ana", FULL_WIDTH, MATHEMATICAL, MODIFIER]:
        refused = post_login("refdesk-demo", username=name)
        assert (refused.status_code, refused.get("Retry-After")) == (429, "60"), name


def test_the_right_password_under_another_spelling_does_not_pass_a_lock(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(5):
        post_login("wrong")
    for name in [FULL_WIDTH, MATHEMATICAL, MODIFIER]:
        assert post_login("refdesk-demo", username=name).status_code == 429, name
    clock.advance(60)
    assert post_login("refdesk-demo", username=FULL_WIDTH).status_code == 302


@pytest.mark.engines
def test_failures_on_the_desk_login_lock_the_admin_login_with_429_and_a_reason(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("root", role="admin")
    for _ in range(5):
        post_login("wrong", username="root")
    refused = post_login("refdesk-demo", username="root", path=ADMIN_LOGIN)
    assert (refused.status_code, refused.get("Retry-After")) == (429, "60")
    assert (
        "Too many failed log-ins from here for this account. Try again in 1 minute."
        in refused.content.decode()
    )
    clock.advance(60)
    assert post_login("refdesk-demo", username="root", path=ADMIN_LOGIN).status_code == 302


def test_failures_on_the_admin_login_lock_the_desk_login(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("root", role="admin")
    for _ in range(3):
        post_login("wrong", username="root", path=ADMIN_LOGIN)
    for _ in range(2):
        post_login("wrong", username="root")
    for path in (DESK_LOGIN, ADMIN_LOGIN):
        refused = post_login("refdesk-demo", username="root", path=path)
        assert (refused.status_code, refused.get("Retry-After")) == (429, "60"), path
    assert (
        "Too many failed log-ins from here for this account. Try again in 1 minute."
        in post_login("refdesk-demo", username="root").content.decode()
    )


def test_logging_in_without_a_request_is_throttled_too(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    client = Client()
    assert [client.login(username="ana", password="wrong") for _ in range(5)] == [False] * 5
    assert client.login(username="ana", password="refdesk-demo") is False
    clock.advance(60)
    assert client.login(username=FULL_WIDTH, password="refdesk-demo") is True


def test_asynchronous_authentication_is_throttled_too(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    check = async_to_sync(aauthenticate)
    for _ in range(5):
        assert check(None, username="ana", password="wrong") is None
    assert check(None, username="ana", password="refdesk-demo") is None
    clock.advance(60)
    user = check(None, username=MATHEMATICAL, password="refdesk-demo")
    assert user is not None
    assert user.get_username() == "ana"
