"""A clock the login tests move by hand, so that waits are exact and nothing sleeps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone


@dataclass
class Clock:
    now: dt.datetime

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """``django.utils.timezone.now`` stands still until the test advances it.

    It starts on a whole minute, ten seconds into a quarter hour, so that a test knows
    where the boundaries of counting windows fall.
    """
    start = timezone.now().replace(second=0, microsecond=0)
    start = start.replace(minute=start.minute - start.minute % 15) + dt.timedelta(seconds=10)
    clock = Clock(start)
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock
