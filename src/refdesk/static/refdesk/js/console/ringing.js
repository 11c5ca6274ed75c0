// Who a waiting chat rings for, and when it rings again. No page here: the store's tests
// run this in a worker, and views/sound.js plays what it decides.
//
// For the home-campus window (until the chat's `home_until`, on the server's clock) a
// waiting chat rings only for librarians of its own campus; after it, for everyone:
// loud for one's own campus, softer for the others. It rings again every
// RING_AGAIN_MS until it is claimed. The window is a signal, not a lock: anyone may claim.

export const RING_AGAIN_MS = 20000;

// Milliseconds left in the chat's home-campus window at `now` (server time), or 0 when it
// is over or the chat has none.
export function homeLeftMs(chat, now) {
  if (!chat.home_until || chat.home_ended_at) return 0;
  return Math.max(0, Date.parse(chat.home_until) - now);
}

// Whether the chat's window ran out: it rings for everyone now.
export function homeWindowOver(chat, now) {
  return Boolean(chat.home_until) && homeLeftMs(chat, now) === 0;
}

// "loud", "soft", or null (not for me, or not waiting).
export function ringLevel(chat, me, now) {
  if (chat.state !== "waiting") return null;
  const mine = Boolean(me.campus) && chat.campus === me.campus;
  if (mine) return "loud";
  return homeLeftMs(chat, now) > 0 ? null : "soft";
}

// Which waiting chats ring at `now`, given when each last rang for me (`lastRung`: chat id
// -> ms, updated here): a chat rings when it first rings for me, and again every
// RING_AGAIN_MS. Returns {level, fresh}: the loudest level ringing ("loud", "soft" or
// null) and the chats that rang for me for the first time (for desktop notifications).
export function dueRings(chats, me, now, lastRung) {
  let level = null;
  const fresh = [];
  const waiting = new Set();
  for (const chat of chats) {
    const ring = ringLevel(chat, me, now);
    if (!ring) continue;
    waiting.add(chat.id);
    const last = lastRung.get(chat.id);
    if (last !== undefined && now - last < RING_AGAIN_MS) continue;
    if (last === undefined) fresh.push(chat);
    lastRung.set(chat.id, now);
    if (ring === "loud" || !level) level = ring;
  }
  // Claimed, ended or no longer mine to hear: forgotten, so that a chat sent back to the
  // queue rings afresh.
  for (const id of [...lastRung.keys()]) if (!waiting.has(id)) lastRung.delete(id);
  return { level, fresh };
}
