"""Logging in: lockout with backoff after repeated failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian

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
    from refdesk.accounts import lockout

    make_librarian("ana")
    for _ in range(5):
        attempt("wrong")
    first = lockout.seconds_locked("ana", "192.0.2.20")
    lockout.record_failure("ana", "192.0.2.20")
    second = lockout.seconds_locked("ana", "192.0.2.20")
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
