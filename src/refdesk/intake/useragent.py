"""A short, human description of a browser from its user-agent string."""

from __future__ import annotations

import re

_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux")),
)


def describe_browser(user_agent: str) -> str:
    """ "Chrome 120 on Android", "Safari 17 on iOS", or "Unknown browser"."""
    name = next(
        (f"{label} {m.group(1)}" for label, rx in _BROWSERS if (m := rx.search(user_agent))),
        "Unknown browser",
    )
    system = next((label for label, rx in _SYSTEMS if rx.search(user_agent)), "")
    return f"{name} on {system}" if system else name
