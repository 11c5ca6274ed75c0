"""Screening of patron messages, filled in from above.

The chats app stores messages but knows nothing of what makes one worrying; the safety app
(a higher layer) registers its screen here from ``SafetyConfig.ready``. With none
registered, or with ``REFDESK_SAFETY_SCREENING`` off, nothing is screened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Finding:
    """What a screen found in one message: its kind (``abuse``, ``threat`` or ``crisis``)
    and the words that matched, as the screen normalised them."""

    kind: str
    terms: tuple[str, ...]


Screen = Callable[[str], Finding | None]

# The kinds from the gravest down, as the detector ranks them (safety/detector.py): a
# chat's flag is the gravest of its lines'.
GRAVITY = {"threat": 3, "crisis": 2, "abuse": 1}


def graver(flag: str, kind: str) -> str:
    """The graver of a chat's flag so far (``""`` for none) and a new line's kind."""
    return kind if GRAVITY.get(kind, 0) > GRAVITY.get(flag, 0) else flag


_screens: list[Screen] = []


def register_screen(screen: Screen) -> None:
    """Use ``screen`` for patron messages (registering it again changes nothing)."""
    if screen not in _screens:
        _screens.append(screen)


def screen_patron_message(body: str) -> Finding | None:
    """The first finding of the registered screens for a patron's ``body``, or None."""
    if not settings.REFDESK["SAFETY_SCREENING"]:
        return None
    for screen in _screens:
        finding = screen(body)
        if finding is not None:
            return finding
    return None
