"""The detector's cost per message: the shipped watch lists compiled once, then a realistic
mix of patron lines (mostly ordinary questions, some spelled with tricks, a few that are
flagged) screened in a loop. Run by ``run.py`` with the results; alone: ``python
bench/detector.py``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from refdesk.safety.detector import Detector, Term
from refdesk.safety.shipped import shipped_terms

# Nine in ten lines are ordinary: questions, thanks, links, a long one now and then.
MIX = [
    "Hi, I'm looking for peer-reviewed articles on climate change policy for my sociology class.",
    "Do you have The Great Gatsby at the north campus?",
    "thanks so much!",
    "How do I cite a website in APA 7th edition? My professor wants a DOI if there is one.",
    "I can't log into the databases from home, it says my proxy is wrong.",
    "ok",
    "https://ezproxy.example.edu/login?url=https://www.jstor.org/stable/123456",
    "This assignment is killing me, I need three scholarly sources by Friday.",
    "¿A qué hora cierra la biblioteca el sábado?",
    "Necesito artículos sobre el cambio climático para mi clase de sociología.",
    "Can you help me find research on suicide prevention programs in schools?",
    "What time does the library close tonight? And is the third floor quiet?",
    "I need the 3rd edition of the chemistry textbook, ISBN 978-0-13-414232-9.",
    " ".join(["I'm writing about the causes of the First World War and need sources."] * 6),
    "Do you have To Kill a Mockingbird?",
    "Is there a printer on the second floor?",
    "you're a f u c k i n g 1d10t",
    "I know where you work",
    "no quiero vivir",
    "I have nowhere to sleep tonight",
]


# The load generator's own lines: a unique id and a long word, each a word never seen.
BENCH_LINES = [f"bench m{n} {'x' * 60}" for n in range(100_000, 102_000)]

# Hostile lines at the 4,000-character limit: long runs of symbols, digits and letters,
# spelled-out letters, masks, a watched word over and over. Each must stay cheap.
HOSTILE = {
    "symbols": "@" * 4000,
    "symbols then a letter": "!" * 3999 + "a",
    "a word with a digit": "a" * 3999 + "1",
    "spelled out": "a " * 2000,
    "masked": "a**" * 1333,
    "leet pairs": "1a" * 2000,
    "a watched word repeated": "kill " * 800,
    "pipes and letters": "|a" * 2000,
}


def measure(rounds: int = 200) -> dict[str, float]:
    """Microseconds per message over ``rounds`` passes of the mix, and the compile time."""
    started = time.perf_counter()
    detector = Detector(Term(kind, term, pattern) for _, kind, term, pattern in shipped_terms())
    compiled = time.perf_counter() - started
    for line in MIX:  # the first pass fills the word cache, as a running desk's is
        detector.screen(line)
    started = time.perf_counter()
    for _ in range(rounds):
        for line in MIX:
            detector.screen(line)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for line in BENCH_LINES:
        detector.screen(line)
    bench_lines = time.perf_counter() - started
    worst = 0.0
    for line in HOSTILE.values():
        started = time.perf_counter()
        detector.screen(line)
        worst = max(worst, time.perf_counter() - started)
    return {
        "us_per_message": round(elapsed / (rounds * len(MIX)) * 1e6, 1),
        "us_per_bench_line": round(bench_lines / len(BENCH_LINES) * 1e6, 1),
        "worst_hostile_ms": round(worst * 1000, 2),
        "compile_ms": round(compiled * 1000, 1),
        "terms": float(len(shipped_terms())),
        "messages": float(rounds * len(MIX)),
    }


if __name__ == "__main__":
    result = measure()
    print(
        f"detector: {result['us_per_message']} µs/message over {int(result['messages'])} "
        f"messages; {result['us_per_bench_line']} µs per load-generator line; slowest "
        f"hostile 4,000-character line {result['worst_hostile_ms']} ms; "
        f"{int(result['terms'])} terms compiled in {result['compile_ms']} ms"
    )
