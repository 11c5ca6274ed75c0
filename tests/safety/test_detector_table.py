"""The detector against a labelled table of real-looking patron lines (English and
Spanish, ``detector_table.tsv``): precision and recall per kind and overall, printed (see
them with ``-s``) and held to bounds. The numbers are in docs/safety.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refdesk.safety.detector import Detector, Term
from refdesk.safety.shipped import shipped_terms

TABLE = Path(__file__).with_name("detector_table.tsv")
KINDS = ("abuse", "threat", "crisis")
# Honest bounds, a little under what the shipped lists measure (docs/safety.md).
PRECISION_AT_LEAST = 0.9
RECALL_AT_LEAST = 0.85
# A flag of any kind on a line that deserves one, whatever the kind: the panel opens.
FLAGGED_RECALL_AT_LEAST = 0.9


def rows(table: Path = TABLE) -> list[tuple[str, str]]:
    found = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        label, message = line.split("\t", 1)
        found.append((label, message))
    return found


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(Term(kind, term, is_pattern) for _, kind, term, is_pattern in shipped_terms())


def measure(
    detector: Detector, table_path: Path = TABLE
) -> tuple[dict[str, tuple[float, float]], list[str], str]:
    table = rows(table_path)
    guesses = []
    for label, message in table:
        finding = detector.screen(message)
        guesses.append((label, finding.kind if finding else "none", message))
    scores: dict[str, tuple[float, float]] = {}
    for kind in (*KINDS, "flagged"):
        if kind == "flagged":
            hit = sum(1 for want, got, _ in guesses if want != "none" and got != "none")
            said = sum(1 for _, got, _ in guesses if got != "none")
            wanted = sum(1 for want, _, _ in guesses if want != "none")
        else:
            hit = sum(1 for want, got, _ in guesses if want == got == kind)
            said = sum(1 for _, got, _ in guesses if got == kind)
            wanted = sum(1 for want, _, _ in guesses if want == kind)
        scores[kind] = (hit / said if said else 1.0, hit / wanted if wanted else 1.0)
    wrong = [f"{want} → {got}: {message}" for want, got, message in guesses if want != got]
    report = "\n".join(
        f"{kind:8} precision {p:.3f} recall {r:.3f}" for kind, (p, r) in scores.items()
    )
    report += f"\n{len(table)} messages, {len(wrong)} wrong:\n" + "\n".join(wrong)
    return scores, wrong, report


def test_the_table_is_big_enough_and_covers_both_languages() -> None:
    table = rows()
    assert len(table) >= 150
    labels = {label for label, _ in table}
    assert labels == {"none", *KINDS}
    assert sum(1 for _, m in table if any(c in m for c in "áéíóúñ¿¡")) >= 30


def test_precision_and_recall_per_kind_meet_their_bounds(
    detector: Detector, report_measure: Callable[[str], None]
) -> None:
    scores, _, report = measure(detector)
    report_measure(report)
    for kind in KINDS:
        precision, recall = scores[kind]
        assert precision >= PRECISION_AT_LEAST, f"{kind} precision\n{report}"
        assert recall >= RECALL_AT_LEAST, f"{kind} recall\n{report}"
    precision, recall = scores["flagged"]
    assert precision >= PRECISION_AT_LEAST, f"flagged precision\n{report}"
    assert recall >= FLAGGED_RECALL_AT_LEAST, f"flagged recall\n{report}"


@pytest.mark.parametrize(
    "trap",
    [
        "this assignment is killing me",
        "kill the process",
        "shoot me an email",
        "Hamlet's suicide",
        "abuse of power in history",
    ],
)
def test_the_named_traps_are_not_flagged(detector: Detector, trap: str) -> None:
    assert detector.screen(trap) is None
