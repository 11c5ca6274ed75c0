"""The throttle's parts: the name it counts under, its one read, and how a wait reads."""

from __future__ import annotations

from typing import Any

import pytest

from refdesk.accounts.actions import do_record_login_failure, do_record_login_success
from refdesk.accounts.selectors import get_login_wait
from refdesk.accounts.throttle import account_name, login_keys, wait_message
from refdesk.core.models import RateCounter
from tests.accounts.conftest import Clock


@pytest.mark.parametrize("spelling", ["ana", " Ana ", "ANA", "ａｎａ", "𝐚𝐧𝐚", "ᵃⁿᵃ", "𝔄𝔫𝔞"])
def test_every_spelling_that_reaches_an_account_counts_under_one_name(spelling: str) -> None:
    assert account_name(spelling) == "ana"


@pytest.mark.parametrize(
    ("seconds", "reads"),
    [
        (1, "Try again in 1 second."),
        (45, "Try again in 45 seconds."),
        (60, "Try again in 1 minute."),
        (61, "Try again in 2 minutes."),
        (3600, "Try again in 60 minutes."),
    ],
)
def test_a_wait_reads_in_seconds_under_a_minute_and_whole_minutes_rounded_up(
    seconds: int, reads: str
) -> None:
    assert wait_message(seconds) == (f"Too many failed log-ins from here for this account. {reads}")


@pytest.mark.django_db
def test_checking_a_log_in_reads_the_counters_once(
    clock: Clock, django_assert_num_queries: Any
) -> None:
    for _ in range(5):
        do_record_login_failure("ana", address="192.0.2.20")
    with django_assert_num_queries(1):
        assert get_login_wait("ana", address="192.0.2.20") == 60


@pytest.mark.django_db
def test_a_success_forgets_only_the_pairs_failures(clock: Clock) -> None:
    here, there = login_keys("ana", "192.0.2.20"), login_keys("ana", "192.0.2.21")
    for address in ("192.0.2.20", "192.0.2.21"):
        do_record_login_failure("ana", address=address)
    do_record_login_success("ana", address="192.0.2.20")
    assert dict(RateCounter.objects.values_list("key", "count")) == {
        there.pair: 1,
        here.account: 2,
        here.address: 1,
        there.address: 1,
    }


@pytest.mark.django_db
def test_without_an_address_only_the_pair_and_the_account_count(clock: Clock) -> None:
    do_record_login_failure("ana", address="")
    keys = login_keys("ana", "")
    assert keys.address is None
    assert dict(RateCounter.objects.values_list("key", "count")) == {keys.pair: 1, keys.account: 1}
