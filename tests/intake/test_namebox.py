"""The Name-box question detector, run over a table of questions and names.

The table is ``namebox_cases.json``.  Python (server) and JavaScript (widget) copies of
the detector must give the same answer for every entry, so the JavaScript module is run
through Node on the same table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from refdesk.intake import namebox
from refdesk.intake.namebox import looks_like_question

CASES_FILE = Path(__file__).with_name("namebox_cases.json")
JS_MODULE = Path(__file__).resolve().parents[2] / "src/refdesk/static/refdesk/namebox.js"

CASES: dict[str, list[str]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
QUESTIONS = CASES["questions"]
NAMES = CASES["names"]

# Questions of the table that the detector misses on purpose: the same text is a name.
KNOWN_MISSES = frozenset(
    {
        "APA",  # Apa Sherpa; "apa" counts only beside another library word: "apa format".
        "book",  # Book is a surname; "book" counts only beside another library word.
    }
)

MIN_CASES = 45
MAX_MISS_RATE = 0.05

JS_RUNNER = """\
import { readFileSync } from "node:fs";

const [moduleUrl, inputPath] = process.argv.slice(2);
const { looksLikeQuestion } = await import(moduleUrl);
const texts = JSON.parse(readFileSync(inputPath, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => looksLikeQuestion(text))));
"""


def _question_params() -> list[object]:
    params: list[object] = []
    for text in QUESTIONS:
        marks = []
        if text in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(reason="known miss, see KNOWN_MISSES", strict=True))
        params.append(pytest.param(text, id=text, marks=marks))
    return params


def _vocabulary() -> list[str]:
    """Every word the Python detector lists, to check the JavaScript lists against."""
    words: set[str] = set()
    constants = [v for k, v in vars(namebox).items() if k.isupper() and not k.startswith("__")]
    for value in constants:
        if isinstance(value, frozenset | tuple):
            words.update(item for item in value if isinstance(item, str))
        elif isinstance(value, dict):
            words.update(key for key in value if isinstance(key, str))
    return sorted(words)


def _probes(word: str) -> list[str]:
    """Texts in which ``word`` alone decides the answer of one of the rules."""
    return [
        word,
        f"Sam {word}",
        f"{word} Lee",
        f"{word} you",
        f"{word} i",
        f"{word} need",
        f"{word} many",
        f"book {word}",
        f"ann bo cy di ed {word}",
    ]


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not on PATH, so the browser copy of the detector cannot run")
    return path


def _run_js(node: str, texts: list[str], tmp_path: Path) -> list[bool]:
    runner = tmp_path / "run_namebox.mjs"
    runner.write_text(JS_RUNNER, encoding="utf-8")
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    completed = subprocess.run(
        [node, str(runner), JS_MODULE.as_uri(), str(inputs)],
        capture_output=True,
        check=True,
        encoding="utf-8",
        timeout=60,
    )
    results: list[bool] = json.loads(completed.stdout)
    assert len(results) == len(texts)
    return results


@pytest.mark.parametrize("text", _question_params())
def test_a_question_typed_into_the_name_box_is_detected(text: str) -> None:
    assert looks_like_question(text) is True


@pytest.mark.parametrize("text", [pytest.param(text, id=text) for text in NAMES])
def test_a_real_name_is_left_alone(text: str) -> None:
    assert looks_like_question(text) is False


@pytest.mark.parametrize("text", ["", " ", "\t\n ", "\u3000\u00a0"])
def test_empty_or_blank_text_is_not_a_question(text: str) -> None:
    assert looks_like_question(text) is False


def test_the_table_holds_enough_distinct_questions_and_names() -> None:
    assert len(QUESTIONS) >= MIN_CASES
    assert len(NAMES) >= MIN_CASES
    assert len(set(QUESTIONS)) == len(QUESTIONS)
    assert len(set(NAMES)) == len(NAMES)
    assert not set(QUESTIONS) & set(NAMES)
    assert KNOWN_MISSES.issubset(QUESTIONS)


def test_no_name_is_flagged_and_at_most_five_percent_of_questions_are_missed() -> None:
    flagged_names = [text for text in NAMES if looks_like_question(text)]
    missed_questions = [text for text in QUESTIONS if not looks_like_question(text)]
    false_positive_rate = len(flagged_names) / len(NAMES)
    false_negative_rate = len(missed_questions) / len(QUESTIONS)
    assert flagged_names == []
    assert false_positive_rate == 0
    assert false_negative_rate <= MAX_MISS_RATE, missed_questions


def test_the_browser_module_agrees_with_python_on_every_case(node: str, tmp_path: Path) -> None:
    texts = QUESTIONS + NAMES
    js_results = _run_js(node, texts, tmp_path)
    disagreements = [
        (text, looks_like_question(text), js)
        for text, js in zip(texts, js_results, strict=True)
        if looks_like_question(text) is not js
    ]
    assert disagreements == []


def test_the_browser_module_agrees_with_python_on_every_listed_word(
    node: str, tmp_path: Path
) -> None:
    texts = [probe for word in _vocabulary() for probe in _probes(word)]
    texts += ["", "  ", "J", "a?", "R2", "X Æ A-12", "rm 12", "sam@example.org", "jstor.org"]
    js_results = _run_js(node, texts, tmp_path)
    disagreements = [
        (text, looks_like_question(text), js)
        for text, js in zip(texts, js_results, strict=True)
        if looks_like_question(text) is not js
    ]
    assert disagreements == []
