"""Placeholders: every combination of known and unknown values for each demo line, from
the table the composer's JavaScript is checked against too (tests/browser)."""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from refdesk.setup.management.commands.demo import DEMO_FILE
from refdesk.snippets.placeholders import (
    PLACEHOLDERS,
    first_suggestion,
    first_suggestion_purpose,
    render_snippet,
)

TABLE = json.loads((Path(__file__).parent / "placeholders.json").read_text(encoding="utf-8"))
# The demo desk's snippets, as its file has them.
DEMO_SNIPPETS = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))["snippets"]


def values_for(case: dict[str, Any]) -> dict[str, str]:
    return {key: TABLE["values"][key] for key in case["known"]}


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda c: f"{c['body'][:30]}|{c['known']}")
def test_a_snippet_renders_as_the_table_says(case: dict[str, Any]) -> None:
    assert render_snippet(case["body"], values_for(case)) == case["expected"]


def test_the_table_covers_every_combination_for_every_demo_line() -> None:
    covered: dict[str, set[frozenset[str]]] = {}
    for case in TABLE["cases"]:
        covered.setdefault(case["body"], set()).add(frozenset(case["known"]))
    assert len(DEMO_SNIPPETS) == 14
    for body in (snippet["body"] for snippet in DEMO_SNIPPETS):
        used = sorted(set(re.findall(r"\{(\w+)\}", body)) & set(PLACEHOLDERS))
        every = {
            frozenset(chosen)
            for size in range(len(used) + 1)
            for chosen in itertools.combinations(used, size)
        }
        assert covered.get(body, set()) == every, body


@pytest.mark.parametrize("body", [case["body"] for case in TABLE["cases"]])
def test_no_placeholder_is_ever_shown_as_braces(body: str) -> None:
    for value in ("", "   ", None):
        rendered = render_snippet(body, dict.fromkeys(PLACEHOLDERS, value))
        assert not any(f"{{{name}}}" in rendered for name in PLACEHOLDERS)
        assert "  " not in rendered
        assert not re.search(r" [,.;:!?]", rendered)


def test_a_value_is_trimmed_and_taken_as_it_is() -> None:
    assert render_snippet("Hi {patron_name}!", {"patron_name": "  {campus} , x "}) == (
        "Hi {campus} , x!"
    )


SNIPPETS = [
    {"id": 1, "scope": "global", "campus": None, "purpose": "greeting"},
    {"id": 2, "scope": "global", "campus": None, "purpose": "ask_name"},
    {"id": 3, "scope": "global", "campus": None, "purpose": "identify"},
    {"id": 4, "scope": "campus", "campus": "south", "purpose": "greeting"},
    {"id": 5, "scope": "campus", "campus": "north", "purpose": "identify"},
    {"id": 6, "scope": "personal", "campus": None, "purpose": "ask_name"},
]


@pytest.mark.parametrize(
    ("chat_campus", "home_campus", "patron_name", "purpose", "snippet_id"),
    [
        # Answering for another campus: say who you are, name or no name.
        ("south", "north", "Sam", "identify", 3),
        ("south", "north", "", "identify", 3),
        # That campus's own identify line comes before the global one.
        ("north", "south", "", "identify", 5),
        # At home with no name: ask for it (my own line first).
        ("north", "north", "", "ask_name", 6),
        ("north", "north", "  ", "ask_name", 6),
        # At home with a name: the greeting, the campus's own first.
        ("south", "south", "Sam", "greeting", 4),
        ("north", "north", "Sam", "greeting", 1),
    ],
)
def test_the_first_suggestion_follows_the_campus_then_the_name(
    chat_campus: str, home_campus: str, patron_name: str, purpose: str, snippet_id: int
) -> None:
    assert (
        first_suggestion_purpose(
            chat_campus=chat_campus, home_campus=home_campus, patron_name=patron_name
        )
        == purpose
    )
    found = first_suggestion(
        SNIPPETS, chat_campus=chat_campus, home_campus=home_campus, patron_name=patron_name
    )
    assert found is not None
    assert found["id"] == snippet_id


def test_with_no_line_for_the_purpose_there_is_no_first_suggestion() -> None:
    only_greeting = [SNIPPETS[0]]
    assert (
        first_suggestion(only_greeting, chat_campus="north", home_campus="north", patron_name="")
        is None
    )
