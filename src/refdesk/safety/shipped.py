"""The shipped watch lists and guidance, read from the app's data files (by the data
migration, and by the tests and the bench that need the lists without a database)."""

from __future__ import annotations

import tomllib
from pathlib import Path

DATA = Path(__file__).parent / "data"
SECTIONS = ("communicate", "suggest", "act", "remember")


def shipped_terms() -> list[tuple[str, str, str, bool]]:
    """``(language, kind, term, is_pattern)`` for every line of ``watchterms.txt``."""
    terms = []
    for line in (DATA / "watchterms.txt").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        language, kind, term = stripped.split(None, 2)
        terms.append((language, kind, term, "*" in term or "..." in term))
    return terms


def shipped_guidance() -> list[tuple[str, str, int, str]]:
    """``(kind, section, position, text)`` for every step of ``guidance.toml``."""
    data = tomllib.loads((DATA / "guidance.toml").read_text(encoding="utf-8"))
    return [
        (kind, section, position, text)
        for kind, sections in data.items()
        for section in SECTIONS
        for position, text in enumerate(sections.get(section, []))
    ]
