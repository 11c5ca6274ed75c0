// What the console says about chats, in one place. No page here: the store and the views
// both use these.

export const CLOSING_LINE = "I hope that helps. Have a great day!";

const END_REASONS = {
  closed: "The chat has ended.",
  patron_left: "Patron left.",
  idle: "Ended after the patron went quiet.",
  ticketed: "Turned into a ticket.",
  blocked: "Patron blocked.",
  unanswered: "Nobody answered in time.",
  dismissed: "Dismissed from the queue by a supervisor.",
  transferred: "Transferred.",
};

export function endNote(reason) {
  return END_REASONS[reason] || "The chat has ended.";
}

export function plural(n, word) {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

export function firstLine(text) {
  const line = (text || "").split("\n")[0].trim();
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

export function displayName(chat) {
  return chat.patron_name || firstLine(chat.question);
}

// A patron of another campus is told who answers for it.
export function greeting(chat, me) {
  const intro = chat.campus !== me.campus ? ` I'm ${me.name}, answering for ${chat.campus_name}.` : "";
  return chat.patron_name ? `Hi ${chat.patron_name},${intro} ` : `Hi! May I have your name?${intro}`;
}
