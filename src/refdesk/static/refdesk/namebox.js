/**
 * Tell whether the text a patron typed into the Name box is really a question.
 *
 * Patrons often type "what time do you close today" into the Name field of the pre-chat
 * form. When looksLikeQuestion() says so, the widget treats the text as the question and
 * leaves the name empty. Losing a real name is worse than missing a question, so every
 * rule leaves names alone, in any script, and fires only on evidence that a plausible
 * personal name does not carry.
 *
 * This is a port of refdesk/intake/namebox.py, which the server runs; the module
 * docstring there explains the rules. Change both together: tests/intake/test_namebox.py
 * runs this file through Node and checks that the two agree.
 *
 * 1. A question mark anywhere (also full-width, inverted or Arabic).
 * 2. A link: http://, https://, www., an e-mail address or a word such as jstor.org.
 * 3. Digits: three or more, or half or more of the letters and digits.
 * 4. A Chinese, Japanese or Korean question phrase, a last word ending in 吗, 까요 or
 *    나요, or ten Han characters in a row.
 * 5. A word that no name carries (what, is, could, need, help, library, citation...).
 * 6. An ambiguous first word (Will, May, Can, Do, Are, How, I, Im, Who, Does) followed
 *    by a word that continues a sentence ("will you", "can i", "how many", "i need").
 *    Who and Does count as words of rule 5 everywhere but first.
 * 7. Two weak library words, which are also names (book, room, loan, page, law, card...).
 * 8. More than five words besides titles and particles, one of them in lower case.
 *
 * Before rules 3 to 8, an introduction ("Sam from Chem 101") is a name.
 */

const words = (text) => new Set(text.split(/\s+/u).filter(Boolean));

// Whitespace spelled out, so that Python and JavaScript split text the same way.
const SPACES =
  /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/gu;
const APOSTROPHES = /[\u2018\u2019\u02bc\uff07`\u00b4]/gu;
const QUESTION_MARK = /[?\uff1f\u00bf\u061f\u2e2e\ufe56]/u;

const URL_START = /https?:\/\/|www\./u;
const EMAIL = /[^@ ]+@[^@ ]+\.[^@ ]+/u;
const DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|info|io|ca|uk|au)(?:\/.*)?$/u;
const LINK_TRIM = /^[.,;:!()[\]<>"']+|[.,;:!()[\]<>"']+$/gu;
const DIGIT = /\p{Nd}/gu;
const ALPHANUMERIC = /[\p{L}\p{N}]/gu;
const MANY_DIGITS = 3;
const DIGIT_SHARE = 0.5;

const HAN_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]{10}/u;
const CJK_PHRASES = [
  "图书馆", "圖書館", "図書館", "几点", "幾點", "什么", "什麼", "怎么", "怎麼", "哪里",
  "哪裡", "为什么", "為什麼", "开门", "開門", "关门", "關門", "借书", "借書", "还书",
  "還書", "ですか", "ますか", "도서관", "어떻게", "습니까",
];
const CJK_ENDINGS = ["吗", "嗎", "까요", "나요"];

const NOT_WORD_CHAR = /[^\p{L}\p{M}\p{N}'.\-]/gu;
const EDGE_PUNCTUATION = /^[^\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N}]+$/gu;
const LOWER_CASE_START = /^\p{Ll}/u;
const CAPITAL_START = /^[\p{Lu}\p{Lt}]/u;
const LETTER_START = /^\p{L}/u;

const MANY_WORDS = 5;
const WEAK_PAIR = 2;
const INTRO_WORD = "from";
const INTRO_MAX_WORDS = 3;
const INTRO_MAX_NUMBER = 4;

// Words that do not occur in personal names: one of them anywhere makes a question.
const STRONG_WORDS = words(`
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
`);

// Library words that are also names (Book, Page, Law, Close, Loan, Floor, Doi, Apa...):
// they count only in pairs.
const WEAK_WORDS = words(`
    book room loan close page pages law card fine due floor home time study class course
    paper hold link fee id doi apa chicago style harvard scholar holiday group form find
    date pin pass guest data media lab film
`);

// First words that are also names, and the second words that make them a question.
const PRONOUNS = words("i you u y'all yall we they it there someone somebody anyone");
const HOW_FOLLOWERS = new Set([
  ...PRONOUNS,
  ...words(`
    do does did can could would will should is are was were early much many often far soon
    come about
  `),
]);
const I_FOLLOWERS = words(`
    need needs want wanted wanna would will can cant can't could have had has am was just
    still tried try forgot lost got think dont don't didnt didn't wish hope also really
    cannot already never did should keep returned borrowed renewed paid owe trying
    looking having getting not doing working writing wondering unable here new sorry
    confused stuck
`);
const WHO_FOLLOWERS = new Set([
  ...PRONOUNS,
  ...words("do does did can could would will should is are was were has have had know knows to am"),
]);
const DOES_FOLLOWERS = new Set([
  ...PRONOUNS,
  ...words("the a an my your our this that anyone everyone library campus"),
]);
const AMBIGUOUS_STARTERS = new Map([
  ["can", PRONOUNS],
  ["will", PRONOUNS],
  ["may", PRONOUNS],
  ["do", PRONOUNS],
  ["are", PRONOUNS],
  ["how", HOW_FOLLOWERS],
  ["i", I_FOLLOWERS],
  ["im", I_FOLLOWERS],
  ["who", WHO_FOLLOWERS],
  ["does", DOES_FOLLOWERS],
]);

// Words left out of the "many words" count.
const TITLES = words(`
    dr prof professor doctor mr mrs ms mx miss sir dame lady lord rev fr sr jr st mme mlle
    herr frau sri shri smt hon capt col gen lt sgt ii iii iv phd md esq
`);
const PARTICLES = words(`
    de da das do dos du del della dei der den des di la le lo las los van von ten ter y e
    bin binti binte bint ibn al el abu ben bat af av zu mac mc ap of
`);

const count = (text, pattern) => (text.match(pattern) ?? []).length;

function normalise(text) {
  return text
    .normalize("NFC")
    .replace(APOSTROPHES, "'")
    .replace(SPACES, " ")
    .replace(/^ +| +$/gu, "");
}

/** Words in their original case, punctuation trimmed off both ends. */
function splitWords(text) {
  return text
    .replace(NOT_WORD_CHAR, " ")
    .split(" ")
    .map((chunk) => chunk.replace(EDGE_PUNCTUATION, ""))
    .filter((word) => word !== "");
}

function hasLink(lowered) {
  if (URL_START.test(lowered) || EMAIL.test(lowered)) {
    return true;
  }
  return lowered.split(" ").some((chunk) => DOMAIN.test(chunk.replace(LINK_TRIM, "")));
}

function isDigitHeavy(text) {
  const digits = count(text, DIGIT);
  if (digits === 0) {
    return false;
  }
  if (digits >= MANY_DIGITS) {
    return true;
  }
  return digits / count(text, ALPHANUMERIC) >= DIGIT_SHARE;
}

function hasCjkQuestion(lowered, lastWord) {
  if (CJK_PHRASES.some((phrase) => lowered.includes(phrase))) {
    return true;
  }
  return CJK_ENDINGS.some((ending) => lastWord.endsWith(ending)) || HAN_RUN.test(lowered);
}

function startsASentence(loweredWords) {
  const followers = loweredWords.length > 0 ? AMBIGUOUS_STARTERS.get(loweredWords[0]) : undefined;
  return followers !== undefined && loweredWords.length > 1 && followers.has(loweredWords[1]);
}

/** "Sam from Chem 101": a name in capitals, "from", and up to three words of place. */
function isIntroduction(wordList, loweredWords) {
  const at = loweredWords.indexOf(INTRO_WORD);
  if (at < 0) {
    return false;
  }
  const name = wordList.slice(0, at);
  const place = loweredWords.slice(at + 1);
  if (name.length < 1 || name.length > INTRO_MAX_WORDS) {
    return false;
  }
  if (place.length < 1 || place.length > INTRO_MAX_WORDS) {
    return false;
  }
  if (!name.every((word) => CAPITAL_START.test(word))) {
    return false;
  }
  if (place.some((word) => STRONG_WORDS.has(word))) {
    return false;
  }
  if (place.some((word) => !LETTER_START.test(word) && [...word].length > INTRO_MAX_NUMBER)) {
    return false;
  }
  return !looksLikeQuestion(name.join(" "));
}

function hasManyWords(wordList) {
  const content = wordList.filter((word) => {
    const lowered = word.toLowerCase();
    return !TITLES.has(lowered) && !PARTICLES.has(lowered);
  });
  if (content.length <= MANY_WORDS) {
    return false;
  }
  return content.some((word) => LOWER_CASE_START.test(word));
}

/**
 * Return true when `text`, typed into a Name box, reads as a question.
 *
 * Real names in any script give false, and so does empty or blank text.
 *
 * @param {string} text
 * @returns {boolean}
 */
export function looksLikeQuestion(text) {
  if (typeof text !== "string") {
    return false;
  }
  const normalised = normalise(text);
  if (normalised === "") {
    return false;
  }
  if (QUESTION_MARK.test(normalised)) {
    return true;
  }
  const lowered = normalised.toLowerCase();
  if (hasLink(lowered)) {
    return true;
  }
  const wordList = splitWords(normalised);
  const loweredWords = wordList.map((word) => word.toLowerCase());
  if (isIntroduction(wordList, loweredWords)) {
    return false;
  }
  if (isDigitHeavy(normalised)) {
    return true;
  }
  if (hasCjkQuestion(lowered, loweredWords.at(-1) ?? "")) {
    return true;
  }
  // An ambiguous first word (Who, Does) is judged by the rule for first words alone.
  const judged = AMBIGUOUS_STARTERS.has(loweredWords[0]) ? loweredWords.slice(1) : loweredWords;
  if (judged.some((word) => STRONG_WORDS.has(word))) {
    return true;
  }
  if (startsASentence(loweredWords)) {
    return true;
  }
  if (loweredWords.filter((word) => WEAK_WORDS.has(word)).length >= WEAK_PAIR) {
    return true;
  }
  return hasManyWords(wordList);
}
