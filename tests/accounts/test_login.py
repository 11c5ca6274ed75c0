"""Logging in: one throttle for every log-in path, per account and address.

The policy (refdesk.accounts.throttle): five failures of one account from one address
lock that pair for a minute, doubling with each further failure up to an hour, counted
in a sliding six-hour window; while the account is guessed from many places, or the
address fails for many names, a pair that has failed is slowed down for ten seconds per
failure; a pair that never failed is never refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate
from django.http import HttpResponse
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.core.actions import do_forget_old_counters
from refdesk.core.models import RateCounter
from tests.accounts.conftest import Clock

pytestmark = pytest.mark.django_db

DESK_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
FULL_WIDTH, MATHEMATICAL, MODIFIER = "ａｎａ", "𝐚𝐧𝐚", "ᵃⁿᵃ"
HERE = "192.0.2.20"
SHARED = "192.0.2.99"
RIGHT = "refdesk-demo"


def post_login(
    password: str, username: str = "ana", address: str = HERE, path: str = DESK_LOGIN
) -> HttpResponse:
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def answer(password: str, username: str = "ana", address: str = HERE) -> tuple[int, str | None]:
    """The status of a log-in attempt and its Retry-After, if any."""
    response = post_login(password, username=username, address=address)
    return response.status_code, response.get("Retry-After")


def attempt(password: str, username: str = "ana", address: str = HERE) -> int:
    return post_login(password, username=username, address=address).status_code


def flood(address: str, names: int = 30) -> None:
    """One failure for each of ``names`` made-up names from ``address``."""
    assert [attempt("wrong", username=f"guess{i}", address=address) for i in range(names)] == [
        200
    ] * names


# ---------------------------------------------------------------------------
# An account guessed from one address
# ---------------------------------------------------------------------------


@pytest.mark.engines
def test_five_failures_lock_the_account_at_that_address_even_for_the_right_password(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    assert [attempt("wrong") for _ in range(5)] == [200] * 5
    refused = post_login(RIGHT)
    assert (refused.status_code, refused["Retry-After"]) == (429, "60")
    assert (
        "Too many failed log-ins from here for this account. Try again in 1 minute."
        in refused.content.decode()
    )
    clock.advance(59)
    assert answer(RIGHT) == (429, "1")
    clock.advance(1)
    assert answer(RIGHT) == (302, None)


@pytest.mark.engines
def test_a_lock_holds_only_at_the_address_that_guessed(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(5):
        attempt("wrong", address=SHARED)
    assert answer(RIGHT, address=SHARED) == (429, "60")
    assert answer(RIGHT, address=HERE) == (302, None)


@pytest.mark.engines
def test_the_lockout_doubles_from_the_latest_failure_up_to_an_hour(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(5):
        attempt("wrong")
    # 60 s after the fifth failure, then each further failure doubles it; 63 minutes of
    # waits reach the hour.
    for wait in [60, 120, 240, 480, 960, 1920, 3600, 3600]:
        assert answer(RIGHT) == (429, str(wait))
        clock.advance(wait - 30)
        assert answer(RIGHT) == (429, "30")
        assert answer("wrong") == (429, "30")
        clock.advance(30)
        assert answer("wrong") == (200, None)
    clock.advance(3600)
    assert answer(RIGHT) == (302, None)


def test_failures_straddling_a_quarter_hour_still_count(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    clock.advance(14 * 60 + 30)  # 20 seconds before a quarter hour
    for _ in range(3):
        attempt("wrong")
    clock.advance(30)
    for _ in range(2):
        attempt("wrong")
    assert answer(RIGHT) == (429, "60")


def test_failures_leave_the_count_after_six_hours(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(5):
        attempt("wrong")
    clock.advance(6 * 3600 + 60)
    assert [attempt("wrong") for _ in range(4)] == [200] * 4
    assert answer(RIGHT) == (302, None)


def test_a_successful_login_clears_earlier_failures(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(4):
        attempt("wrong")
    assert attempt(RIGHT) == 302
    assert [attempt("wrong") for _ in range(4)] == [200] * 4
    assert attempt(RIGHT) == 302


def test_failures_for_one_user_do_not_lock_another(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    make_librarian("ben", campus="south")
    for _ in range(6):
        attempt("wrong")
    assert attempt(RIGHT, username="ben") == 302


# ---------------------------------------------------------------------------
# Guessing from elsewhere does not keep a librarian out
# ---------------------------------------------------------------------------


@pytest.mark.engines
def test_made_up_names_from_a_shared_address_do_not_keep_a_librarian_out(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    flood(SHARED, names=40)
    assert answer(RIGHT, address=SHARED) == (302, None)


@pytest.mark.engines
def test_a_librarian_guessed_from_other_addresses_logs_in_from_an_address_that_never_failed(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for host in range(1, 6):
        for _ in range(5):
            attempt("wrong", address=f"198.51.100.{host}")
    for host in range(6, 26):
        attempt("wrong", address=f"198.51.100.{host}")
    assert answer(RIGHT, address="198.51.100.1") == (429, "60")
    assert answer(RIGHT, address=HERE) == (302, None)


def test_while_an_account_is_guessed_from_elsewhere_a_pair_that_failed_is_slowed_down(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for host in range(1, 20):
        attempt("wrong", address=f"198.51.100.{host}")
    assert answer("typo") == (200, None)  # the account's twentieth failure
    refused = post_login(RIGHT)
    assert (refused.status_code, refused["Retry-After"]) == (429, "10")
    assert (
        "Too many failed log-ins from here for this account. Try again in 10 seconds."
        in refused.content.decode()
    )
    clock.advance(4)
    assert answer(RIGHT) == (429, "6")
    clock.advance(6)
    assert answer(RIGHT) == (302, None)


def test_at_a_flooded_address_a_pair_that_failed_is_slowed_down(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    flood(SHARED)
    assert answer("typo", address=SHARED) == (200, None)
    assert answer("typo", address=SHARED) == (429, "10")
    clock.advance(10)
    assert answer("typo", address=SHARED) == (200, None)
    assert answer(RIGHT, address=SHARED) == (429, "20")
    clock.advance(20)
    assert answer(RIGHT, address=SHARED) == (302, None)


@pytest.mark.engines
def test_an_existing_and_a_made_up_name_get_the_same_answers(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")

    def guess(name: str, address: str) -> list[tuple[int, str | None]]:
        answers = []
        for pause in [0, 0, 10, 0, 20, 30, 40, 0]:
            clock.advance(pause)
            answers.append(answer("wrong", username=name, address=address))
        return answers

    flooded = [(200, None), (429, "10"), (200, None), (429, "20")]
    flooded += [(200, None), (200, None), (200, None), (429, "60")]
    quiet = [(200, None)] * 5 + [(429, "30"), (200, None), (429, "120")]
    for name, number in [("ana", 1), ("zed", 2)]:
        assert guess(name, f"203.0.113.{number}") == quiet, name
        flood(f"198.51.100.{number}")
        assert guess(name, f"198.51.100.{number}") == flooded, name


# ---------------------------------------------------------------------------
# What the counters keep
# ---------------------------------------------------------------------------


def test_login_counters_hold_salted_hashes_and_never_a_name_or_an_address(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    attempt("wrong")
    attempt("wrong", username="zed")
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert len(keys) == 5  # a pair and an account for each name, and the address
    for key in keys:
        assert re.fullmatch(r"login-(pair|account|address):[0-9a-f]{40}", key), key


def test_login_counters_are_forgotten_after_two_days(
    make_librarian: Callable[..., Librarian], clock: Clock
) -> None:
    make_librarian("ana")
    for _ in range(3):
        attempt("wrong")
    clock.advance(2 * 24 * 3600 - 60)
    assert do_forget_old_counters() == 0
    clock.advance(120)
    assert do_forget_old_counters() == 3
    assert not RateCounter.objects.exists()


# ---------------------------------------------------------------------------
# One throttle for every spelling of a name and every login path
# ---------------------------------------------------------------------------


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


def test_a_session_made_under_a_retired_secret_key_stays_live_until_the_fallback_goes(
    make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    from django.contrib.sessions.models import Session

    from refdesk.accounts.selectors import get_librarian_for_session_key, get_live_names

    ana = make_librarian("ana")
    old_secret = settings.SECRET_KEY
    client = Client()
    client.force_login(ana.user)
    key = client.cookies["sessionid"].value
    # The key is rotated: the old one becomes a fallback, as Django documents.
    settings.SECRET_KEY = "a-brand-new-secret-key-that-is-long-enough-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert get_live_names({key: ana.pk}) == {key: "Ana"}
    assert get_librarian_for_session_key(key) == ana
    settings.SECRET_KEY_FALLBACKS = []
    assert get_live_names({key: ana.pk}) == {}
    assert get_librarian_for_session_key(key) is None
    # Checking never wrote to the session (no cycling, no flush).
    assert Session.objects.filter(session_key=key).exists()


def test_a_session_of_a_backend_the_desk_no_longer_lists_is_not_live(
    make_librarian: Callable[..., Librarian], settings: Any
) -> None:
    from refdesk.accounts.selectors import get_librarian_for_session_key, get_live_names

    ana = make_librarian("ana")
    client = Client()
    client.force_login(ana.user)
    key = client.cookies["sessionid"].value
    assert get_librarian_for_session_key(key) == ana
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert get_live_names({key: ana.pk}) == {}
    assert get_librarian_for_session_key(key) is None
