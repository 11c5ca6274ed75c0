"""The detector's normalisation, one trick at a time, its term syntax, and the checks on
terms and guidance written in the admin (the actions refuse bad input and store
nothing; each change is audited, and the detector rebuilds)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdesk.chats.screening import Finding
from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry
from refdesk.core.realtime import STAFF_GROUP
from refdesk.safety import detector as detector_module
from refdesk.safety.actions import (
    check_guidance,
    check_watch_term,
    do_add_guidance,
    do_add_watch_term,
    do_change_watch_term,
    do_delete_watch_term,
)
from refdesk.safety.detector import Detector, Term, TermError, normalise, term_words
from refdesk.safety.models import Guidance, WatchTerm
from tests.support import ANY, assert_events_exactly, capture_events


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("KILL You", "kill you"),  # case
        ("ＫＩＬＬ", "kill"),  # NFKC: full-width letters
        ("ki\u200bll", "kill"),  # zero-width space
        ("ki\u202ell", "kill"),  # direction override
        ("k\u0301ill", "kill"),  # a combining mark
        ("estúpido", "estupido"),  # accents
        ("k1ll", "kill"),  # leetspeak: 1 → i
        ("1d10t", "idiot"),  # 1 → i, 0 → o
        ("$h!t", "shit"),  # symbols before letters
        ("@$$h0le", "asshole"),
        ("h3ll", "hell"),  # 3 → e
        ("4ss", "ass"),  # 4 → a
        ("5tupid", "stupid"),  # 5 → s
        ("7error", "terror"),  # 7 → t
        ("k i l l", "kill"),  # spaced letters
        ("k.i.l.l", "kill"),  # dotted letters
        ("k-i-l-l", "kill"),  # hyphenated letters
        ("kiiiiill", "kiill"),  # held letters, cut to two
        ("Hamlet's", "hamlets"),  # apostrophes go
        ("page 455", "page 455"),  # a number stays a number
        ("you!", "you!"),  # a "!" that ends a word is punctuation
        ("a$$", "ass"),  # "$" that ends a word after a letter
        ("cl@$", "clas"),  # "@" and "$" after a letter, anywhere in the word
        ("f***", "f***"),  # masks keep their length: each is one hidden letter
        ("*really*", "*really*"),  # emphasis stays as written
    ],
)
def test_each_normalisation_trick(written: str, read: str) -> None:
    assert normalise(written) == read


def test_a_one_may_also_be_an_l() -> None:
    assert normalise("ki11", one_as_l=True) == "kill"
    assert Detector([Term("threat", "kill you", False)]).screen("KI11 Y0U") is not None


def test_patterns_take_a_wildcard_at_a_words_edge_and_a_gap_between_words() -> None:
    found = Detector(
        [
            Term("abuse", "idiot*", True),
            Term("threat", "i know ... where you live", True),
            Term("abuse", "ass", False),
        ]
    )
    assert found.screen("IDIOTIC") is not None
    assert found.screen("i know exactly where you live") is not None
    assert found.screen("I know where you live") is not None
    assert found.screen("i know that, she said, where you live") is not None
    assert found.screen("as I said") is None  # a held letter must be held: "ass" is not "as"
    assert found.screen("class assignment") is None  # whole words only


def test_an_exception_cancels_the_hit_it_covers_but_not_another() -> None:
    found = Detector([Term("threat", "kill", False), Term("exception", "kill the process", False)])
    assert found.screen("how do I kill the process") is None
    finding = found.screen("kill the process, then I kill")
    assert finding is not None
    assert finding.terms == ("kill",)


def test_the_gravest_kind_wins() -> None:
    found = Detector(
        [
            Term("abuse", "idiot", False),
            Term("crisis", "want to die", False),
            Term("threat", "kill you", False),
        ]
    )
    assert found.screen("idiot").kind == "abuse"  # type: ignore[union-attr]
    assert found.screen("idiot I want to die").kind == "crisis"  # type: ignore[union-attr]
    assert found.screen("idiot I want to die and kill you").kind == "threat"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "  ",
        "kill.*you",
        "(a|b)+",
        "*",
        "kill ...",
        "... kill",
        "one two three four five six seven eight nine",
    ],
)
def test_a_term_that_is_not_words_is_refused(bad: str) -> None:
    with pytest.raises(TermError):
        term_words(bad, is_pattern=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"term": "kill*", "is_pattern": False}, "invalid"),  # a wildcard in a plain term
        ({"term": "k[i]ll"}, "invalid"),  # regular expressions
        ({"term": "<script>alert(1)</script>"}, "invalid"),  # markup
        ({"term": "'; DROP TABLE safety_watchterm; --"}, "invalid"),  # SQL-ish
        ({"term": "x" * 81}, "too_long"),
        ({"term": "\u200b\u200b"}, "invalid"),  # nothing visible
        ({"language": "english"}, "invalid"),
        ({"kind": "rude"}, "invalid"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_stored(fields: dict[str, object], code: str) -> None:
    before = WatchTerm.objects.count()
    wanted = {"language": "en", "kind": "abuse", "term": "idiot", "is_pattern": False, **fields}
    with pytest.raises(ActionError) as refused:
        check_watch_term(**wanted)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert WatchTerm.objects.count() == before


@pytest.mark.django_db
def test_a_term_added_changed_and_deleted_is_audited_and_rebuilds_the_detector(
    django_capture_on_commit_callbacks: object,
) -> None:
    WatchTerm.objects.all().delete()
    assert detector_module.screen("you nincompoop") is None
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        term = do_add_watch_term(
            check_watch_term(language="en", kind="abuse", term="nincompoop", is_pattern=False)
        )
    assert detector_module.screen("you nincompoop") is not None
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        do_change_watch_term(
            term,
            check_watch_term(language="en", kind="abuse", term="nincompoop", is_pattern=False),
            active=False,
        )
    assert detector_module.screen("you nincompoop") is None
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        do_delete_watch_term(term)
    assert list(
        AuditEntry.objects.filter(target_type="watch_term")
        .order_by("pk")
        .values_list("action", "changes")
    ) == [
        (
            "watch_term.add",
            {
                "language": "en",
                "kind": "abuse",
                "term": "nincompoop",
                "is_pattern": False,
                "active": True,
                "note": "",
            },
        ),
        ("watch_term.change", {"active": [True, False]}),
        (
            "watch_term.delete",
            {
                "language": "en",
                "kind": "abuse",
                "term": "nincompoop",
                "is_pattern": False,
                "active": False,
                "note": "",
            },
        ),
    ]


@pytest.mark.django_db
def test_another_process_rebuilds_when_the_terms_version_changes() -> None:
    WatchTerm.objects.all().delete()
    assert detector_module.screen("you nincompoop") is None
    assert detector_module.reload_if_changed() is False
    # Another process added it: this one has not heard (no commit callback ran here).
    do_add_watch_term(
        check_watch_term(language="en", kind="abuse", term="nincompoop", is_pattern=False)
    )
    assert detector_module.reload_if_changed() is True
    assert detector_module.screen("you nincompoop") is not None


@pytest.mark.django_db
def test_the_sweep_job_builds_the_detector_before_the_first_message_and_then_follows_changes() -> (
    None
):
    detector_module.forget_terms()
    assert detector_module._state.detector is None
    assert detector_module.build_or_reload() is True  # the first sweep of a new process
    built = detector_module._state.detector
    assert built is not None and built.screen("you idiot") is not None
    assert detector_module.build_or_reload() is False  # nothing changed since
    assert detector_module._state.detector is built
    do_add_watch_term(
        check_watch_term(language="en", kind="abuse", term="nincompoop", is_pattern=False)
    )
    detector_module._state.detector = built  # as in a process that did not save it
    assert detector_module.build_or_reload() is True
    assert detector_module.screen("you nincompoop") is not None


@pytest.mark.django_db(transaction=True)
def test_a_guidance_step_added_is_audited_and_every_console_hears_of_it() -> None:
    Guidance.objects.all().delete()
    with capture_events() as events:
        do_add_guidance(check_guidance(kind="crisis", section="act", text="Alert a supervisor."))
    empty = {"communicate": [], "suggest": [], "act": [], "remember": []}
    crisis = {**empty, "act": ["Alert a supervisor."]}
    headings = {
        "communicate": "Communicating with the patron",
        "suggest": "Actions to suggest to the patron",
        "act": "Actions for you",
        "remember": "Important things to remember",
    }

    def sections(steps: dict[str, list[str]]) -> list[dict[str, object]]:
        return [{"section": key, "heading": headings[key], "steps": steps[key]} for key in headings]

    assert_events_exactly(
        events,
        [
            (
                STAFF_GROUP,
                {
                    "type": "safety.changed",
                    "guidance": {"escalation": sections(empty), "crisis": sections(crisis)},
                },
            )
        ],
    )
    assert AuditEntry.objects.filter(action="guidance.add", target_type="guidance").count() == 1
    with pytest.raises(ActionError):
        check_guidance(kind="crisis", section="act", text="<b>bold</b>")
    with pytest.raises(ActionError):
        check_guidance(kind="crisis", section="elsewhere", text="Fine.")
    assert Guidance.objects.count() == ANY


def test_letters_hidden_by_a_mask_read_as_the_abuse_word_they_fit() -> None:
    found = Detector(
        [
            Term("abuse", "fuck*", True),
            Term("abuse", "*fucker*", True),
            Term("abuse", "shit", False),
            Term("abuse", "ass", False),
            Term("abuse", "go to hell", False),
            Term("threat", "kill you", False),
        ]
    )
    assert found.unmask("f*ck") == "fuck"
    assert found.unmask("go f**k yourself") == "go fuck yourself"
    assert found.unmask("f***") == "fuck"  # one letter, three masks
    assert found.unmask("f*cking") == "fucking"  # a term's "*" still takes any letters
    assert found.unmask("motherf#cker") == "motherfucker"  # "#" masks too
    assert found.unmask("sh*t a**") == "shit ass"
    # Only one-word abuse terms are unmasked: no guessing at "k*ll" or a short "h*ll".
    assert found.unmask("k*ll h*ll") == "k*ll h*ll"
    # Emphasis, a footnote mark, a language's name and arithmetic are no words hidden.
    assert found.unmask("*really* educat* C# 5*3") == "*really* educat* C# 5*3"
    assert found.screen("F*CK you") == Finding("abuse", ("fuck",))
    assert found.screen("piece of $h*t") == Finding("abuse", ("shit",))
    assert found.screen("kiss my a$$") == Finding("abuse", ("ass",))
    assert found.screen("a @ss") == Finding("abuse", ("ass",))
    assert found.screen("such a b!tch") is None  # no "bitch" in this list


def test_a_term_is_found_inside_a_sentence_spelled_out_letter_by_letter() -> None:
    found = Detector(
        [
            Term("abuse", "idiot*", True),
            Term("abuse", "ass", False),
            Term("threat", "kill you", False),
        ]
    )
    assert found.screen("y o u a r e a n i d i o t") == Finding("abuse", ("idiot",))
    assert found.screen("i w i l l k i l l y o u t o d a y") == Finding("threat", ("killyou",))
    # Inside a run a match needs four letters: "ass" in "the classics" is no insult.
    assert found.screen("t h e c l a s s i c s") is None
    # Words written normally are still whole words.
    assert found.screen("the idiotic plot, s o what") == Finding("abuse", ("idiotic",))
    assert found.screen("my class, s e e") is None


# The symbol and digit readings as first written: right, but a long run of symbols, or a
# long word with a digit, cost their length squared (4,000 "@" took a quarter of a second).
_QUADRATIC_SYMBOLS = re.compile(r"[@$!|+](?=[@$!|+]*[^\W_])|(?<=[^\W_])[@$]+(?![^\W_])")
_QUADRATIC_MIXED = re.compile(r"[^\W_]*\d[^\W_]*")


@given(st.text(alphabet="ab1 0@$!|+.é_x", max_size=40))
def test_the_linear_symbol_and_digit_readings_read_as_the_quadratic_ones(text: str) -> None:
    def letters(match: re.Match[str]) -> str:
        return "".join(detector_module._SYMBOL_LETTERS[c] for c in match.group(0))

    assert detector_module._LEET_SYMBOLS.sub(letters, text) == _QUADRATIC_SYMBOLS.sub(letters, text)

    def digits(match: re.Match[str]) -> str:
        return detector_module._leet(match, detector_module._DIGIT_LETTERS)

    assert detector_module._MIXED.sub(digits, text) == _QUADRATIC_MIXED.sub(digits, text)
