// Snippets' rules, with no page: placeholders, the first suggestion, the order and the
// type-ahead's matching. The same rules as refdesk/snippets/placeholders.py (read its
// docstring for the rule on a placeholder with no value); one table of cases
// (tests/snippets/placeholders.json) is checked against both.

export const PLACEHOLDERS = ["patron_name", "librarian_name", "librarian_campus", "campus", "hours_today", "email"];

const GAP = "\u0000";
const CAPITAL = "\u0003";
const TIGHT = "\u0004";
const MARKERS = /[\u0000-\u0004]/g;
const PLACEHOLDER = new RegExp(`\\{(${PLACEHOLDERS.join("|")})\\}`, "g");
const CONNECTOR = /(^|[ \t\n(])(?:from|at|for|of|in|with|to|by|I'm|I\u2019m)[ \t]+\u0000/gim;
const GAP_RUN = /([ \t]*)\u0000(?:[ \t]*\u0000)*([ \t]*)/g;
const PUNCTUATION = ",.;:!?)";

export function renderSnippet(body, values) {
  const kept = [];
  let text = String(body).replace(MARKERS, "").replace(PLACEHOLDER, (match, key) => {
    const raw = values[key];
    const value = raw === undefined || raw === null ? "" : String(raw).trim();
    if (!value) return GAP;
    kept.push(value.replace(MARKERS, ""));
    return `\u0001${kept.length - 1}\u0002`;
  });
  text = text.replace(CONNECTOR, (match, before) => before + GAP);
  const source = text;
  text = source.replace(GAP_RUN, (match, left, right, offset) => {
    const before = offset > 0 ? source[offset - 1] : "";
    const end = offset + match.length;
    const after = end < source.length ? source[end] : "";
    if (before === "" || before === "\n") return CAPITAL;
    if (after === "" || after === "\n") return "";
    if (PUNCTUATION.includes(after) || before === "(") return TIGHT;
    return left || right ? " " : "";
  });
  text = text
    .replace(/[,;:]\u0004(?=[,.;:!?])/g, "")
    .replace(/[ \t]*\(\u0004\)/g, "")
    .replace(/(^|\n)\u0003[,;:][ \t]*/g, `$1${CAPITAL}`)
    .replace(/\u0003([\s\S])/g, (match, letter) => letter.toUpperCase())
    .replaceAll(CAPITAL, "")
    .replaceAll(TIGHT, "");
  return text.replace(/\u0001(\d+)\u0002/g, (match, index) => kept[Number(index)]);
}

// What the placeholders become in a chat: from its summary, me, and the snapshot's
// campuses ({slug: {name, hours_today}}).
export function valuesFor(chat, me, campuses) {
  return {
    patron_name: chat.patron_name,
    librarian_name: me.name,
    librarian_campus: campuses[me.campus]?.name,
    campus: chat.campus_name || campuses[chat.campus]?.name,
    hours_today: campuses[chat.campus]?.hours_today,
    email: chat.patron_email,
  };
}

export function firstSuggestionPurpose({ chatCampus, homeCampus, patronName }) {
  if (chatCampus !== homeCampus) return "identify";
  if (!(patronName || "").trim()) return "ask_name";
  return "greeting";
}

// Personal ones, then the chat's campus's, then global ones, then other campuses'.
export function orderForChat(snippets, chatCampus) {
  const rank = { personal: 0, campus: 1, global: 2 };
  const key = (s) => (s.scope === "campus" && s.campus !== chatCampus ? 3 : rank[s.scope]);
  return [...snippets].sort((a, b) => key(a) - key(b));
}

export function firstSuggestion(snippets, { chatCampus, homeCampus, patronName }) {
  const purpose = firstSuggestionPurpose({ chatCampus, homeCampus, patronName });
  return (
    orderForChat(snippets, chatCampus).find(
      (s) => s.purpose === purpose && !(s.scope === "campus" && s.campus !== chatCampus)
    ) || null
  );
}

// The line a claimed chat's composer starts with: the first suggestion (identify, ask_name
// or greeting) rendered with the chat's values, or `fallback` when no snippet has that
// purpose.
export function openingLine(snippets, chat, me, campuses, fallback) {
  const first = firstSuggestion(snippets, { chatCampus: chat.campus, homeCampus: me.campus, patronName: chat.patron_name });
  return first ? renderSnippet(first.body, valuesFor(chat, me, campuses)) : fallback;
}

// The list for a chat and what follows "/": the first suggestion first, then the chat's
// order; a query keeps the snippets whose shortcut, or a word of whose title, starts with it.
export function listForChat(snippets, chat, me, query = "") {
  const wanted = query.trim().toLowerCase();
  const fits = (s) =>
    !wanted ||
    s.shortcut.startsWith(wanted) ||
    s.title.toLowerCase().startsWith(wanted) ||
    s.title.toLowerCase().split(/\s+/).some((word) => word.startsWith(wanted));
  const first = firstSuggestion(snippets, { chatCampus: chat.campus, homeCampus: me.campus, patronName: chat.patron_name });
  const ordered = orderForChat(snippets, chat.campus).filter((s) => s !== first);
  return (first ? [first, ...ordered] : ordered).filter(fits);
}

// The "/word" just before the caret, at the start or after a space: {start, query}, or null.
export function slashQuery(text, caret) {
  const match = /(^|\s)\/([^\s/]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2].length - 1, query: match[2] };
}
