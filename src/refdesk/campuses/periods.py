"""Opening periods written as text: "08:00-12:00, 13:00-22:00"."""

from __future__ import annotations

import datetime as dt
import re

from refdesk.core.errors import ActionError

Period = tuple[dt.time, dt.time]

PERIOD_PATTERN = re.compile(
    r"^([01][0-9]|2[0-3]):([0-5][0-9])\s*-\s*([01][0-9]|2[0-3]):([0-5][0-9])$"
)


def parse_period(text: str) -> Period | None:
    """``"08:00-12:00"`` as (opens, closes), or None when it is not ``HH:MM-HH:MM``. A
    period whose closing time is not after its opening time runs past midnight."""
    match = PERIOD_PATTERN.match(text.strip())
    if match is None:
        return None
    oh, om, ch, cm = (int(group) for group in match.groups())
    return dt.time(oh, om), dt.time(ch, cm)


def parse_periods(text: str, *, what: str) -> list[Period]:
    """A comma-separated list of periods (empty text: none, a closed day), in the order
    written. Raises ``ActionError("invalid")`` naming the first part that is not
    ``HH:MM-HH:MM``."""
    periods: list[Period] = []
    for part in text.split(","):
        if not part.strip():
            if text.strip():
                raise ActionError("invalid", f"{what}: an empty period between commas.")
            continue
        period = parse_period(part)
        if period is None:
            raise ActionError(
                "invalid",
                f"{what}: {part.strip()!r} is not a period such as 08:00-12:00 "
                "(24-hour clock, HH:MM-HH:MM).",
            )
        periods.append(period)
    return periods


def format_periods(periods: list[Period]) -> str:
    """Periods as the text :func:`parse_periods` reads: "08:00-12:00, 13:00-22:00"."""
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in periods)
