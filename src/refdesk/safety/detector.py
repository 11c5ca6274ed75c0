"""The detector: is a patron's message abusive, threatening, or from someone in crisis?

``screen(body)`` normalises the message once (:func:`normalise`) and runs one compiled
regular expression over it, built from every active ``WatchTerm`` of every language. The
expression is an alternation in named groups, exceptions first, then threats, crises and
abuse: at each place in the text the first alternative that matches wins, so an exception
("kill the process") that starts where a term starts, or before it, swallows the term. Of
what is left, the kind reported is the gravest: threat > crisis > abuse.

The expression is compiled once per process and rebuilt when the terms change: at once
in the process that changed them (after the commit), and within ``RELOAD_SECONDS`` in
every other process (the ``safety.reload_terms`` job compares the terms' version).

Terms are written plainly ("kill you", "no quiero vivir"); they are normalised like the
text. A pattern (``is_pattern``) may also use ``*`` at the start or end of a word (any
letters there: ``fuck*``) and ``...`` between words (up to three words in between:
``i know ... where you live``). Nothing else of regular expressions reaches the compiler:
every word is escaped.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from refdesk.chats.screening import Finding

RELOAD_SECONDS = 10
MAX_WORDS = 8
# The order in the expression (exceptions first) and the gravity of a kind.
KINDS = ("exception", "threat", "crisis", "abuse")
GRAVITY = ("threat", "crisis", "abuse")

# Zero-width and direction characters, soft hyphens and the like: invisible, dropped.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]"
)
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
# A symbol standing for a letter, when a letter or digit follows ("$hit", "b!tch", "@ss"),
# and "$" or "@" that end a word after a letter ("a$$", "cl@"): "!" there is punctuation.
# Each run of symbols is tried once, from its start (not again from each of its symbols,
# which made a long run cost its length squared).
_LEET_SYMBOLS = re.compile(r"(?<![@$!|+])[@$!|+]+(?=[^\W_])|(?<=[^\W_])[@$]+(?![^\W_])")
_HAS_SYMBOL = re.compile(r"[@$!|+]")
_SYMBOL_LETTERS = {"@": "a", "$": "s", "!": "i", "|": "l", "+": "t"}
_DIGIT_LETTERS = str.maketrans("01345789", "oieastbg")
_DIGIT_LETTERS_L = str.maketrans("01345789", "oleastbg")
# A word with a digit in it: digits become letters only where a letter keeps them company
# ("k1ll", "1d10t"), never in a number ("page 455").
# Anchored at a word's start, so that a long word without a digit is read once, not once
# from each of its letters.
_MIXED = re.compile(r"(?<![^\W_])[^\W_]*\d[^\W_]*")
# Single letters with one or two separators between them: "k i l l", "k.i.l.l", "k-1-l-l".
_SPACED = re.compile(
    r"(?<![^\W_])(?:(?:[^\W_]|[@$])[ .\-_*\u00b7,/]{1,2}){2,}(?:[^\W_]|[@$])(?![^\W_])"
)
_SEPARATORS = re.compile(r"[ .\-_*\u00b7,/]")
# A letter held for three or more: "kiiiill" is "kiill", which a term's pattern accepts.
# Masks ("f***") keep their length: each stands for one hidden letter.
_HELD = re.compile(r"([^*#])\1\1+")
_DIGIT = re.compile(r"\d")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _leet(match: re.Match[str], table: dict[int, int]) -> str:
    word = match.group(0)
    if word.isdigit():
        return word
    return word.translate(table)


def normalise(text: str, *, one_as_l: bool = False) -> str:
    """``text`` as the detector reads it: NFKC and case-folded, without invisible
    characters, accents or apostrophes; symbols and digits used as letters read as the
    letters ("k1ll", "$hit"; ``one_as_l`` reads "1" as "l" rather than "i"); letters
    spelled out with spaces or dots joined ("k i l l"); a letter held three times or more
    written twice."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text)
        text = _strip_marks(text)
    text = text.casefold()
    text = _APOSTROPHES.sub("", text)
    text = _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group(0)), text)
    if _HAS_SYMBOL.search(text):
        text = _LEET_SYMBOLS.sub(lambda m: "".join(_SYMBOL_LETTERS[c] for c in m.group(0)), text)
    if _DIGIT.search(text):
        table = _DIGIT_LETTERS_L if one_as_l else _DIGIT_LETTERS
        text = _MIXED.sub(lambda m: _leet(m, table), text)
    return _HELD.sub(r"\1\1", text)


class TermError(ValueError):
    """A term that cannot be watched for, and why (a sentence for the admin)."""


_WORD = re.compile(r"^\*?[^\W_]+\*?$")


def term_words(term: str, *, is_pattern: bool) -> list[str]:
    """The normalised words of a term (``...`` kept as a word of its own in a pattern).
    Raises ``TermError`` for a term with no words, more than ``MAX_WORDS``, or characters
    other than letters, digits, spaces, hyphens and apostrophes (and, in a pattern, ``*``
    at a word's edge and ``...`` between words)."""
    words: list[str] = []
    for raw in term.replace("-", " ").split():
        if is_pattern and raw == "...":
            if not words or words[-1] == "...":
                raise TermError('A pattern\'s "..." goes between two words.')
            words.append("...")
            continue
        word = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", raw).casefold())
        word = _strip_marks(word)
        if not _WORD.match(word) or (not is_pattern and "*" in word):
            raise TermError(
                "A term is words of letters and digits; a pattern may also put * at the "
                f'start or end of a word and "..." between words, not {raw!r}.'
            )
        words.append(word)
    if not words or words[-1] == "...":
        raise TermError("A term needs at least one word, and a pattern ends with a word.")
    if len([w for w in words if w != "..."]) > MAX_WORDS:
        raise TermError(f"A term has at most {MAX_WORDS} words.")
    return words


def _word_regex(word: str) -> str:
    start = r"[^\W_]*" if word.startswith("*") else ""
    end = r"[^\W_]*" if word.endswith("*") else ""
    letters = word.strip("*")
    parts = []
    # A run of one letter accepts one or two of it, a run of two exactly two: the text has
    # held letters cut to two ("kiiiill" → "kiill"), and "ass" must not match "as".
    for match in re.finditer(r"(.)\1*", letters):
        letter, count = re.escape(match.group(1)), min(len(match.group(0)), 2)
        parts.append(f"{letter}{{{count},2}}" if match.group(1).isalpha() else letter * count)
    return start + "".join(parts) + end


def term_regex(term: str, *, is_pattern: bool) -> str:
    """The regular expression of one term (see the module's docstring)."""
    out: list[str] = []
    gap = False
    for word in term_words(term, is_pattern=is_pattern):
        if word == "...":
            gap = True
            continue
        if out:
            out.append(r"[\W_]*(?:[^\W_]+[\W_]+){0,3}?" if gap else r"[\W_]*")
        out.append(_word_regex(word))
        gap = False
    return _WORD_START + "".join(out) + _WORD_END


_WORD_START = r"(?<![^\W_])"
_WORD_END = r"(?![^\W_])"


@dataclass(frozen=True)
class Term:
    kind: str
    term: str
    is_pattern: bool


_TOKEN = re.compile(r"[^\W_]+")
# A word with letters hidden by "*" or "#" after its first letter: "f*ck", "sh!t" (already
# read "shit"), "a**", "motherf#cker". A word that starts with one ("*really*") is emphasis.
_MASKED = re.compile(r"(?<![^\W_*#])[^\W_]+(?:[*#]+[^\W_]*)+(?![^\W_*#])")
_MASKS = re.compile(r"[*#]")
# Letters spelled out one by one run a whole sentence together ("y o u a r e a n i d i o t"):
# inside such a run, a term may start anywhere, if what it matches is at least this long.
_INNER_MIN = 4
_NO_WORDS: frozenset[str] = frozenset()
_RUNS = re.compile(r"(.)\1+")
_MEMO_MAX = 50_000

# A term ready to try where a word starts: its kind's rank, and its expression.
_Candidate = tuple[int, "re.Pattern[str]"]


class Detector:
    """The compiled terms.

    A message is read word by word: each word's letters, each run cut to one ("kiill" is
    "kil"), look up the terms whose first word it is (a dictionary), and only those are
    tried there, exceptions first and then the longer terms; a match moves on past its
    end, so an exception that starts at a term, or before it, swallows the term. Terms
    whose first word is ``*...`` are tried over the whole text by one more expression. In a
    message with letters spelled out one by one ("k i l l y o u", read "killyou"), a term
    may also start with the first part of a word.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        rank = {kind: index for index, kind in enumerate(KINDS)}
        compiled: set[tuple[int, str, str, bool]] = set()
        terms_kept = list(terms)
        for term in terms_kept:
            if term.kind not in rank:
                continue
            try:
                words = term_words(term.term, is_pattern=term.is_pattern)
                regex = term_regex(term.term, is_pattern=term.is_pattern)
            except TermError:
                continue  # refused when saved; one bad row must not silence the rest
            compiled.add((rank[term.kind], words[0], regex, True))
        ordered = sorted(compiled, key=lambda t: (t[0], -len(t[2]), t[2]))
        self.exact: dict[str, list[_Candidate]] = {}
        self.prefixes: dict[str, list[_Candidate]] = {}
        anywhere: list[str] = []
        for kind_rank, first, regex, _ in ordered:
            candidate = (kind_rank, re.compile(regex))
            if first.startswith("*"):
                anywhere.append(f"(?P<k{kind_rank}_{len(anywhere)}>{regex})")
            elif first.endswith("*"):
                self.prefixes.setdefault(_key(first.rstrip("*")), []).append(candidate)
            else:
                self.exact.setdefault(_key(first), []).append(candidate)
        self.prefix_lengths = sorted({len(key) for key in self.prefixes})
        # The one-word abuse terms, which people hide letters of ("f*ck", "a**"): each
        # letter of the word may be written or masked.
        self.maskable: list[tuple[re.Pattern[str], str]] = []
        for term in terms_kept:
            if term.kind != "abuse":
                continue
            try:
                words = term_words(term.term, is_pattern=term.is_pattern)
            except TermError:
                continue
            if len(words) == 1 and len(words[0].strip("*")) >= 3:  # noqa: PLR2004
                self.maskable.append((_mask_regex(words[0]), words[0].strip("*")))
        self._unmasked: dict[str, str] = {}
        self._inner: dict[re.Pattern[str], re.Pattern[str]] = {}
        self.anywhere = re.compile("|".join(anywhere)) if anywhere else None
        self._memo: dict[str, list[_Candidate]] = {}
        self._glued_memo: dict[str, list[_Candidate]] = {}

    def _candidates(self, word: str, *, glued: bool = False) -> list[_Candidate]:
        memo = self._glued_memo if glued else self._memo
        found = memo.get(word)
        if found is not None:
            return found
        key = _key(word)
        found = list(self.exact.get(key, ()))
        for length in self.prefix_lengths:
            if length > len(key):
                break
            found.extend(self.prefixes.get(key[:length], ()))
        if glued:
            # Letters spelled out one by one run the words together ("killyou"): a term
            # may start with any first part of the word.
            for length in range(1, len(key)):
                found.extend(self.exact.get(key[:length], ()))
        found.sort(key=lambda candidate: candidate[0])  # stable: longer first within a kind
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[word] = found
        return found

    def unmask(self, text: str) -> str:
        """``text`` (normalised) with each word whose letters are hidden by ``*`` or ``#``
        read as the first one-word abuse term it can be ("f*ck" → "fuck", "a**" → "ass");
        a masked word that fits none stays as it is."""
        return _MASKED.sub(self._unmask_word, text)

    def _unmask_word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        found = self._unmasked.get(word)
        if found is None:
            found = word
            for pattern, stem in self.maskable:
                fit = pattern.fullmatch(word)
                if fit is not None:
                    before, after = word[: fit.start("stem")], word[fit.end("stem") :]
                    found = _MASKS.sub("", before) + stem + _MASKS.sub("", after)
                    break
            if len(self._unmasked) >= _MEMO_MAX:
                self._unmasked.clear()
            self._unmasked[word] = found
        return found

    def _read(
        self,
        text: str,
        hits: dict[int, list[str]],
        *,
        glued: bool,
        spelled: frozenset[str] = _NO_WORDS,
    ) -> None:
        # Most messages hold no word that starts a term: one look per distinct word.
        words = set(_TOKEN.findall(text))
        if (
            self.anywhere is None
            and not spelled
            and not any(self._candidates(w, glued=glued) for w in words)
        ):
            return
        covered_to = 0
        for token in _TOKEN.finditer(text):
            start = token.start()
            if start < covered_to:
                continue
            for kind_rank, pattern in self._candidates(token.group(0), glued=glued):
                match = pattern.match(text, start)
                if match is not None:
                    covered_to = match.end()
                    _note(hits, kind_rank, match.group(0))
                    break
            else:
                if token.group(0) in spelled:
                    covered_to = self._read_inside(text, token, hits)
        if self.anywhere is not None:
            for match in self.anywhere.finditer(text):
                _note(hits, _rank_of(match), match.group(0))

    def _read_inside(self, text: str, token: re.Match[str], hits: dict[int, list[str]]) -> int:
        # A run of spelled-out letters has lost its word breaks: try a term at every letter
        # after the first, without the word-edge checks, for a long enough match.
        for start in range(token.start() + 1, token.end() - _INNER_MIN + 1):
            for kind_rank, pattern in self._candidates(text[start : token.end()], glued=True):
                match = self._inner_pattern(pattern).match(text, start)
                if match is not None and match.end() - start >= _INNER_MIN:
                    _note(hits, kind_rank, match.group(0))
                    return match.end()
        return token.end()

    def _inner_pattern(self, pattern: re.Pattern[str]) -> re.Pattern[str]:
        inner = self._inner.get(pattern)
        if inner is None:
            source = pattern.pattern.removeprefix(_WORD_START).removesuffix(_WORD_END)
            inner = self._inner[pattern] = re.compile(source)
        return inner

    def screen(self, body: str) -> Finding | None:
        hits: dict[int, list[str]] = {}
        variants = [False, True] if ("1" in body or "|" in body) else [False]
        runs: list[str] = _SPACED.findall(body)
        masked = "*" in body or "#" in body
        for one_as_l in variants:
            text = normalise(body, one_as_l=one_as_l)
            if masked:
                text = self.unmask(text)
            spelled = _NO_WORDS
            if runs:
                spelled = frozenset(
                    word
                    for run in runs
                    for word in _TOKEN.findall(normalise(run, one_as_l=one_as_l))
                    if len(word) > _INNER_MIN
                )
            self._read(text, hits, glued=bool(runs), spelled=spelled)
        for kind in GRAVITY:
            found = hits.get(KINDS.index(kind))
            if found:
                return Finding(kind, tuple(found))
        return None


def _mask_regex(word: str) -> re.Pattern[str]:
    # Each letter of the term may be written or hidden by a mask; "*" at a term word's edge
    # still means any letters there. The term's letters are the group "stem".
    letters = "".join(f"[{re.escape(c)}*#]" for c in word.strip("*"))
    start = r"[^\W_*#]*" if word.startswith("*") else ""
    end = r"[^\W_*#]*" if word.endswith("*") else ""
    return re.compile(f"{start}(?P<stem>{letters}){end}")


def _key(word: str) -> str:
    return _RUNS.sub(r"\1", word)


def _rank_of(match: re.Match[str]) -> int:
    name = match.lastgroup or "k0_0"
    return int(name[1 : name.index("_")])


def _note(hits: dict[int, list[str]], kind_rank: int, text: str) -> None:
    if KINDS[kind_rank] == "exception":
        return
    found = hits.setdefault(kind_rank, [])
    words = " ".join(text.split())
    if words not in found:
        found.append(words)


@dataclass
class _State:
    detector: Detector | None = None
    version: tuple[object, ...] | None = None


_state = _State()
_lock = threading.Lock()


# Detectors built in this process, by the terms' version: a version seen again (the
# tests' databases, which all start with the shipped lists) needs no second compile.
_built: dict[tuple[object, ...], Detector] = {}


def _load() -> tuple[Detector, tuple[object, ...]]:
    # Imported here: the detector's pure half is used without Django's apps (tests, bench).
    from refdesk.safety.selectors import get_terms_version, list_active_terms  # noqa: PLC0415

    version = get_terms_version()
    detector = _built.get(version)
    if detector is None:
        detector = Detector(list_active_terms())
        if len(_built) >= 8:  # noqa: PLR2004
            _built.clear()
        _built[version] = detector
    return detector, version


def screen(body: str) -> Finding | None:
    """The gravest kind of worrying language in a patron's message, with the words that
    matched; None for an ordinary message. Builds the detector from the database on first
    use in a process."""
    detector = _state.detector
    if detector is None:
        with _lock:
            if _state.detector is None:
                _state.detector, _state.version = _load()
            detector = _state.detector
    return detector.screen(body)


def forget_terms() -> None:
    """Drop the compiled terms: the next message rebuilds them (a change was committed)."""
    with _lock:
        _state.detector = None
        _state.version = None


def reload_if_changed() -> bool:
    """Rebuild the detector when the stored terms' version differs from the one it was
    built from (a change in another process); returns whether it was rebuilt."""
    from refdesk.safety.selectors import get_terms_version  # noqa: PLC0415

    if _state.detector is None or get_terms_version() == _state.version:
        return False
    detector, version = _load()
    with _lock:
        _state.detector, _state.version = detector, version
    return True


def build_or_reload() -> bool:
    """Build the detector if this process has none yet (a new process builds it at its
    first sweep, not at its first patron message, which would wait for the compile), or
    rebuild it if the stored terms changed; returns whether it built one."""
    if _state.detector is None:
        with _lock:
            if _state.detector is None:
                _state.detector, _state.version = _load()
                return True
        return False
    return reload_if_changed()
