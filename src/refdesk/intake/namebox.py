"""Tell whether the text a patron typed into the *Name* box is really a question.

Patrons often type "what time do you close today" into the Name field of the pre-chat
form.  When :func:`looks_like_question` says so, the caller treats the text as the
question and leaves the name empty.  Losing a real name is worse than missing a
question, so every rule leaves names alone, in any script, and fires only on evidence
that a plausible personal name does not carry.

The text is NFC-normalised, curly apostrophes become ``'``, whitespace is collapsed and
words are compared in lower case.  Empty or blank text is not a question.  Otherwise the
text is a question as soon as one of these rules fires:

1. **Question mark** anywhere: ``?`` or its full-width, inverted (``¿``) or Arabic form.
2. **Link**: ``http://``, ``https://``, ``www.``, an e-mail address ``user@host.tld``, or
   a word such as ``jstor.org``.
3. **Digits**: three or more digits (ISBN, room or course number, student ID), or
   digits making up half or more of the letters and digits ("rm 12").
4. **Scripts written without spaces**: a few Chinese, Japanese and Korean question
   phrases (图书馆, 几点, 什么, ですか, 도서관, 어떻게...), a last word ending in
   吗, 까요 or 나요, or ten Han characters in a row (Han names are two to seven).
5. **A word that no name carries**, anywhere: question words (what, when, where, why,
   which, who), auxiliaries and contractions (is, does, could, should, can't, i'm...),
   function words (this, for, with, about, from, not...), request verbs (need, help,
   looking, renew, borrow, print, access...), library nouns (library, books, article,
   citation, MLA, database, password, login, journal, thesis, hours, open, closed...),
   greetings (hi, hello), common typos (wat, libary...) and a few words in Spanish,
   French, German, Russian, Arabic and Hindi.
6. **An ambiguous first word that starts a sentence**.  Some question starters are also
   names: Will, May, Can (Turkish), Do (Vietnamese), Are (Norwegian), How (Malaysian
   Chinese), I (Balinese), Im (Korean), Who (Chinese), Does (Dutch).  They count only
   when the second word continues a sentence: "Will you...", "can i...", "how many...",
   "i need...", "who do...", "does the...".  "Will Smith", "May Lin", "Can Yücel",
   "I Made Sudarsana", "Who Hu" and "Does Ng" stay names.  Who and Does are words of
   rule 5 everywhere but first.
7. **Two weak library words**: library words that are also surnames or given names
   (book, room, loan, page, law, card, close, fine, due, floor, apa...) count only in
   pairs: "study room", "ID card".  "Larry Page", "Glenn Close" and "Do Thi Loan" stay
   names.
8. **Many words**: more than five words, not counting titles (Dr., Prof.) and name
   particles (de, la, van, bin, al...), at least one of them starting with a lower-case
   letter.  Long names written in Title Case or in a script without case stay names.

One exception comes before rules 3 to 8: **an introduction**, "Sam from Chem 101", is a
name.  It is one to three words that each start with a capital and pass these rules on
their own, then "from", then one to three words of place that hold no word of rule 5 and
no number longer than four characters.

The browser runs the same rules from ``refdesk/static/refdesk/namebox.js``: change both
together (``tests/intake/test_namebox.py`` checks that they agree).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["looks_like_question"]

# Whitespace spelled out, so that Python and JavaScript split text the same way.
_SPACES = re.compile(
    "[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\uff07`\u00b4", "'"))
_QUESTION_MARKS = frozenset("?\uff1f\u00bf\u061f\u2e2e\ufe56")

_URL = re.compile(r"https?://|www\.")
_EMAIL = re.compile(r"[^@ ]+@[^@ ]+\.[^@ ]+")
_DOMAIN = re.compile(
    r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|info|io|ca|uk|au)(?:/.*)?$"
)
_LINK_TRIM = ".,;:!()[]<>\"'"
_MANY_DIGITS = 3
_DIGIT_SHARE = 0.5

_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]{10}")
_CJK_PHRASES = (
    "图书馆", "圖書館", "図書館", "几点", "幾點", "什么", "什麼", "怎么", "怎麼", "哪里",
    "哪裡", "为什么", "為什麼", "开门", "開門", "关门", "關門", "借书", "借書", "还书",
    "還書", "ですか", "ますか", "도서관", "어떻게", "습니까",
)  # fmt: skip
_CJK_ENDINGS = ("吗", "嗎", "까요", "나요")

_MANY_WORDS = 5
_WEAK_PAIR = 2
_INTRO_WORD = "from"
_INTRO_MAX_WORDS = 3
_INTRO_MAX_NUMBER = 4


def _wordset(words: str) -> frozenset[str]:
    """The blank-separated words of ``words``."""
    return frozenset(words.split())


# Words that do not occur in personal names: one of them anywhere makes a question.
_STRONG_WORDS = _wordset(
    """
    what whats what's wat wut wht when whens when's whn where wheres where's wher whr
    why which who whos who's whom whose
    is isnt isn't was wasnt wasn't were does doesnt doesn't did didnt didn't dont don't
    cant can't cannot couldnt couldn't could would wouldnt wouldn't should shouldnt
    shouldn't shall wont won't i'm i've i'd i'll you're youre your we're there's theres
    there anyone anybody someone somebody something anything
    this these those they them for with without about from into not
    please pls plz thanks thank thx hi hello hiya morning afternoon evening question
    questions
    need needs needed needing want wants wanted wanting wanna looking searching trying
    wondering having getting finding get help helping helps renew renews renewed renewing
    renewal renewals borrow borrows borrowed borrowing print prints printed printing
    printer printers printout photocopy photocopier photocopies copy copies scan scans
    scanning scanner scanners access accessing accessed download downloading cite
    citing cited citation citations citaion citiation reference references referencing
    bibliography plagiarism reserve reserves reserving reserved reservation booking
    booked request requests requesting return returns returning returned checkout
    check check-out checked checking login log log-in logon logging sign-in signin
    reset forgot forgotten lost locate know contact speak talk asking trouble problem
    problems issue issues error broken working
    library libraries librarian librarians libary libarary liberary libray librairy
    books ebook ebooks e-book e-books textbook textbooks article articles journal
    journals e-journal periodical periodicals magazine magazines newspaper newspapers
    database databases databse jstor ebsco proquest pubmed scopus worldcat zotero
    endnote refworks mendeley libguides google canvas blackboard moodle
    mla ieee thesis theses dissertation dissertations edition research source sources
    catalog catalogue collection collections archive archives microfilm microfiche
    biography interlibrary inter-library ill pdf isbn issn
    password passwords pasword passwrod username account accounts barcode number
    wifi wi-fi vpn proxy off-campus campus online website websites links
    laptop laptops charger chargers computer computers chromebook
    hours hour open opens opening closed closes closing today tonight tomorrow weekend
    holidays schedule appointment consultation late overdue fines fees loans papers
    rooms desk quiet parking locker lockers dvd dvds movie movies fax format kindle
    overdrive bathroom bathrooms restroom restrooms toilet toilets plagarism renewl
    assignment assignments essay essays homework topic exam exams info information
    biblioteca bibliotecas bibliothèque bibliotheque bibliothek libro libros horario
    horarios préstamo prestamo necesito busco hola qué cómo dónde donde cuándo cuando
    cuál pourquoi quand où comment öffnungszeiten wann warum
    где когда почему зачем что как библиотека библиотеки книга книги
    مكتبة المكتبة كيف ماذا لماذا أين هل
    पुस्तकालय कैसे क्या कब कहाँ क्यों
    """
)

# Library words that are also names (Book, Page, Law, Close, Loan, Floor, Doi, Apa...):
# they count only in pairs.
_WEAK_WORDS = _wordset(
    """
    book room loan close page pages law card fine due floor home time study class course
    paper hold link fee id doi apa chicago style harvard scholar holiday group form find
    date pin pass guest data media lab film
    """
)

# First words that are also names, and the second words that make them a question.
_PRONOUNS = _wordset("i you u y'all yall we they it there someone somebody anyone")
_HOW_FOLLOWERS = _PRONOUNS | _wordset(
    """
    do does did can could would will should is are was were early much many often far soon
    come about
    """
)
_I_FOLLOWERS = _wordset(
    """
    need needs want wanted wanna would will can cant can't could have had has am was just
    still tried try forgot lost got think dont don't didnt didn't wish hope also really
    cannot already never did should keep returned borrowed renewed paid owe trying
    looking having getting not doing working writing wondering unable here new sorry
    confused stuck
    """
)
_WHO_FOLLOWERS = _PRONOUNS | _wordset(
    "do does did can could would will should is are was were has have had know knows to am"
)
_DOES_FOLLOWERS = _PRONOUNS | _wordset(
    "the a an my your our this that anyone everyone library campus"
)
_AMBIGUOUS_STARTERS: dict[str, frozenset[str]] = {
    "can": _PRONOUNS,
    "will": _PRONOUNS,
    "may": _PRONOUNS,
    "do": _PRONOUNS,
    "are": _PRONOUNS,
    "how": _HOW_FOLLOWERS,
    "i": _I_FOLLOWERS,
    "im": _I_FOLLOWERS,
    "who": _WHO_FOLLOWERS,
    "does": _DOES_FOLLOWERS,
}

# Words left out of the "many words" count.
_TITLES = _wordset(
    """
    dr prof professor doctor mr mrs ms mx miss sir dame lady lord rev fr sr jr st mme mlle
    herr frau sri shri smt hon capt col gen lt sgt ii iii iv phd md esq
    """
)
_PARTICLES = _wordset(
    """
    de da das do dos du del della dei der den des di la le lo las los van von ten ter y e
    bin binti binte bint ibn al el abu ben bat af av zu mac mc ap of
    """
)

_NOT_COUNTED = _TITLES | _PARTICLES


def _is_word_char(char: str) -> bool:
    """Letters, combining marks and numbers: Unicode categories L*, M* and N*."""
    return unicodedata.category(char)[0] in "LMN"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    return _SPACES.sub(" ", text).strip(" ")


def _words(text: str) -> list[str]:
    """Words in their original case, punctuation trimmed off both ends.

    A word is a run of letters, marks, numbers, apostrophes, hyphens and full stops, so
    that "O'Neil", "Aznar-López" and "Dr." survive whole.
    """
    cleaned = "".join(ch if _is_word_char(ch) or ch in "'-." else " " for ch in text)
    words: list[str] = []
    for chunk in cleaned.split(" "):
        start, end = 0, len(chunk)
        while start < end and not _is_word_char(chunk[start]):
            start += 1
        while end > start and not _is_word_char(chunk[end - 1]):
            end -= 1
        if start < end:
            words.append(chunk[start:end])
    return words


def _has_link(lowered: str) -> bool:
    if _URL.search(lowered) or _EMAIL.search(lowered):
        return True
    return any(_DOMAIN.match(chunk.strip(_LINK_TRIM)) for chunk in lowered.split(" "))


def _is_digit_heavy(text: str) -> bool:
    digits = sum(1 for ch in text if unicodedata.category(ch) == "Nd")
    if digits == 0:
        return False
    if digits >= _MANY_DIGITS:
        return True
    alphanumerics = sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")
    return digits / alphanumerics >= _DIGIT_SHARE


def _has_cjk_question(lowered: str, last_word: str) -> bool:
    if any(phrase in lowered for phrase in _CJK_PHRASES):
        return True
    return last_word.endswith(_CJK_ENDINGS) or _HAN_RUN.search(lowered) is not None


def _starts_a_sentence(lowered_words: list[str]) -> bool:
    followers = _AMBIGUOUS_STARTERS.get(lowered_words[0]) if lowered_words else None
    return followers is not None and any(w in followers for w in lowered_words[1:2])


def _is_introduction(words: list[str], lowered_words: list[str]) -> bool:
    """ "Sam from Chem 101": a name in capitals, "from", and up to three words of place.

    The name part must pass the detector on its own; the place may hold a short number
    (a course or a room) but no word that no name carries.
    """
    if _INTRO_WORD not in lowered_words:
        return False
    at = lowered_words.index(_INTRO_WORD)
    name, place = words[:at], lowered_words[at + 1 :]
    if not 1 <= len(name) <= _INTRO_MAX_WORDS or not 1 <= len(place) <= _INTRO_MAX_WORDS:
        return False
    if any(unicodedata.category(w[0]) not in ("Lu", "Lt") for w in name):
        return False
    if any(w in _STRONG_WORDS for w in place):
        return False
    if any(unicodedata.category(w[0])[0] != "L" and len(w) > _INTRO_MAX_NUMBER for w in place):
        return False
    return not looks_like_question(" ".join(name))


def _has_many_words(words: list[str]) -> bool:
    content = [w for w in words if w.lower() not in _NOT_COUNTED]
    if len(content) <= _MANY_WORDS:
        return False
    return any(unicodedata.category(w[0]) == "Ll" for w in content)


def looks_like_question(text: str) -> bool:
    """Return True when ``text``, typed into a Name box, reads as a question.

    The rules are listed in the module docstring.  Real names in any script give False,
    and so does empty or blank text.
    """
    text = _normalise(text)
    if not text:
        return False
    if any(ch in _QUESTION_MARKS for ch in text):
        return True
    lowered = text.lower()
    if _has_link(lowered):
        return True
    words = _words(text)
    lowered_words = [w.lower() for w in words]
    if _is_introduction(words, lowered_words):
        return False
    if _is_digit_heavy(text):
        return True
    if _has_cjk_question(lowered, lowered_words[-1] if lowered_words else ""):
        return True
    # An ambiguous first word (Who, Does) is judged by the rule for first words alone.
    judged = (
        lowered_words[1:]
        if lowered_words[:1] and lowered_words[0] in _AMBIGUOUS_STARTERS
        else lowered_words
    )
    if any(w in _STRONG_WORDS for w in judged):
        return True
    if _starts_a_sentence(lowered_words):
        return True
    if sum(1 for w in lowered_words if w in _WEAK_WORDS) >= _WEAK_PAIR:
        return True
    return _has_many_words(words)
