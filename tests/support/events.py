"""The events an action publishes after its commit: capture them, then assert them exactly.

Zulip's ``verify_action`` is the model: run one action inside :func:`capture_events`, then
:func:`assert_events_exactly` with every ``(groups, event)`` it must have sent, in order.
An extra event, a missing one, another group or another field fails the test.

Every after-commit send goes through ``refdesk.core.realtime._after_commit``: at once
for an action called from sync code, or into the outbox of the database thread for one
that async code runs through ``refdesk.core.db.run_action``. Capturing there sees both,
and the events still reach the channel layer.
"""

from __future__ import annotations

import contextlib
import json
import pprint
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from unittest import mock

Groups = tuple[str, ...]


class SentEvent(tuple[Groups, dict[str, Any]]):
    """One event as it was sent: ``(groups, event)``, which is also how it unpacks and
    compares; ``meta`` (facts for the consumers, never sent to a socket) rides beside it."""

    meta: dict[str, Any] | None

    def __new__(
        cls, groups: Groups, event: dict[str, Any], meta: dict[str, Any] | None = None
    ) -> SentEvent:
        made = super().__new__(cls, (groups, event))
        made.meta = meta
        return made

    @property
    def groups(self) -> Groups:
        return self[0]

    @property
    def event(self) -> dict[str, Any]:
        return self[1]


@contextlib.contextmanager
def capture_events() -> Iterator[list[SentEvent]]:
    """Record every event sent after a commit while the block runs, in the order of the
    commits, from this thread and from the database thread alike."""
    from refdesk.core import realtime

    captured: list[SentEvent] = []
    lock = threading.Lock()
    send = realtime._after_commit

    def record(groups: tuple[str, ...], message: dict[str, Any]) -> None:
        sent = SentEvent(tuple(groups), json.loads(message["text"]), message.get("meta"))
        with lock:
            captured.append(sent)
        send(groups, message)

    with mock.patch.object(realtime, "_after_commit", record):
        yield captured


class Matches:
    """A value in an expected event that only has to satisfy ``predicate`` (for what a
    test cannot know: a timestamp, an id made by the database)."""

    def __init__(self, predicate: Callable[[Any], bool], description: str) -> None:
        self.predicate = predicate
        self.description = description

    def __eq__(self, other: object) -> bool:
        return bool(self.predicate(other))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<{self.description}>"


ANY = Matches(lambda _value: True, "anything")


def _as_groups(groups: str | Iterable[str]) -> Groups:
    return (groups,) if isinstance(groups, str) else tuple(groups)


def _differences(expected: Any, actual: Any, where: str) -> list[str]:
    """Where ``actual`` departs from ``expected``, key by key (for the failure message)."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        lines = [f"{where}: missing key {key!r}" for key in expected if key not in actual]
        lines += [f"{where}: unexpected key {key!r}" for key in actual if key not in expected]
        for key in expected:
            if key in actual:
                lines += _differences(expected[key], actual[key], f"{where}[{key!r}]")
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            line
            for index, (want, got) in enumerate(zip(expected, actual, strict=True))
            for line in _differences(want, got, f"{where}[{index}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def assert_events_exactly(
    events: Sequence[tuple[Groups, dict[str, Any]]],
    expected: Sequence[tuple[Any, ...]],
) -> None:
    """``events`` (from :func:`capture_events`) are exactly ``expected``, in order.

    Each expected item is ``(groups, event)`` or ``(groups, event, meta)``: ``groups`` a
    group name or a sequence of them, in the order the action names them; ``event`` the
    whole event as the sockets receive it, where a :class:`Matches` (or :data:`ANY`)
    stands for a value the test cannot know; ``meta``, when given, what travels beside
    the event to the consumers (``None`` for nothing).
    """
    problems: list[str] = []
    for index in range(max(len(events), len(expected))):
        if index >= len(expected):
            problems.append(f"event {index}: not expected, but sent: {events[index]!r}")
            continue
        want = expected[index]
        if index >= len(events):
            problems.append(f"event {index}: expected, but never sent: {tuple(want)!r}")
            continue
        got_groups, got_event = events[index]
        want_groups = _as_groups(want[0])
        if want_groups != got_groups:
            problems.append(
                f"event {index} ({got_event.get('type')}): sent to {got_groups!r}, "
                f"expected {want_groups!r}"
            )
        problems += _differences(want[1], got_event, f"event {index} ({got_event.get('type')})")
        if len(want) > 2:  # (groups, event, meta)
            meta = getattr(events[index], "meta", None)
            problems += _differences(want[2], meta, f"event {index} meta")
    if problems:
        raise AssertionError(
            "the events sent are not the events expected:\n  "
            + "\n  ".join(problems)
            + "\nsent:\n"
            + pprint.pformat([tuple(item) for item in events], width=100)
            + "\nexpected:\n"
            + pprint.pformat([tuple(item) for item in expected], width=100)
        )


def presence_event(
    librarian: Any, *, status: str = "offline", active_chats: int = 0
) -> tuple[str, dict[str, Any]]:
    """``(group, event)`` of the ``presence`` the staff group gets for ``librarian`` (a
    ``Librarian``): a status change, or a change in how many chats they hold."""
    return (
        "staff",
        {
            "type": "presence",
            "librarian_id": librarian.pk,
            "display_name": librarian.display_name,
            "campus": librarian.home_campus.slug,
            "status": status,
            "active_chats": active_chats,
        },
    )
