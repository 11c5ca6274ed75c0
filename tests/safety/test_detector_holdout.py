"""The detector against a second table, ``detector_holdout.tsv``: real-looking patron lines
labelled by hand by someone who had not read the lists, the first table or the detector.
Before tuning it measured what the first table hid (docs/safety.md); the lists and the
normalisation were then fixed for the general gaps it showed, so it now guards against
those gaps coming back. Precision and recall are printed (see them with ``-s``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refdesk.safety.detector import Detector, Term
from refdesk.safety.shipped import shipped_terms
from tests.safety.test_detector_table import KINDS, measure, rows

HOLDOUT = Path(__file__).with_name("detector_holdout.tsv")
# Under what the tuned lists measure (1.0 on every kind): a few lines' room, no more.
PRECISION_AT_LEAST = 0.95
RECALL_AT_LEAST = 0.95


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(Term(kind, term, is_pattern) for _, kind, term, is_pattern in shipped_terms())


def test_the_holdout_is_big_enough_and_covers_both_languages() -> None:
    table = rows(HOLDOUT)
    assert len(table) >= 120
    assert {label for label, _ in table} == {"none", *KINDS}
    assert sum(1 for _, m in table if any(c in m for c in "áéíóúñ¿¡")) >= 30
    assert sum(1 for label, _ in table if label == "none") >= len(table) // 2


def test_precision_and_recall_on_the_holdout_meet_their_bounds(
    detector: Detector, report_measure: Callable[[str], None]
) -> None:
    scores, _, report = measure(detector, HOLDOUT)
    report_measure(report)
    for kind in (*KINDS, "flagged"):
        precision, recall = scores[kind]
        assert precision >= PRECISION_AT_LEAST, f"{kind} precision\n{report}"
        assert recall >= RECALL_AT_LEAST, f"{kind} recall\n{report}"


@pytest.mark.parametrize(
    "trap",
    [
        "I need domestic violence statistics for my sociology paper",
        "this dumb printer ate my paper",
        "my laptop will not wake up",
        "my mom is going to kill me if I fail",
        "the security guard won't let me leave with the laptop",
        "Is this a dumb question?",
        "I'll be waiting for your reply",
        "Use the * wildcard: educat* finds education",
        "C# or F# for my first programming class?",
        "5*3 is 15, right?",
    ],
)
def test_ordinary_lines_near_the_new_terms_are_not_flagged(detector: Detector, trap: str) -> None:
    assert detector.screen(trap) is None
