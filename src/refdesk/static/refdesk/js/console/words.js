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

// The line the composer starts with: whole sentences, ready to send. A patron of another
// campus is told who answers for it.
export function greeting(chat, me) {
  const hello = chat.patron_name ? `Hi ${chat.patron_name}, I'm ${me.name}` : `Hi, I'm ${me.name}`;
  const who = chat.campus !== me.campus ? `${hello}, answering for ${chat.campus_name}.` : `${hello}.`;
  return chat.patron_name
    ? `${who} I'm looking at your question now.`
    : `${who} May I have your name while I look at your question?`;
}

// Whether the chat's newest line is my closing line: ending it does not send it again.
export function closedAlready(messages, me) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const line = messages[i];
    if (line.sender === "system") continue;
    return line.sender === "librarian" && line.sender_name === me.name && line.body.trim() === CLOSING_LINE;
  }
  return false;
}

// How a flagged patron line (and a chat's gravest flag) is named: "Flagged: abusive".
export const FLAG_WORDS = { abuse: "abusive", threat: "threatening", crisis: "crisis" };
// The flags from the gravest down, as the server ranks them for a chat's `flag`.
const GRAVITY = { threat: 3, crisis: 2, abuse: 1 };

export function graverFlag(flag, kind) {
  return (GRAVITY[kind] || 0) > (GRAVITY[flag] || 0) ? kind : flag;
}
