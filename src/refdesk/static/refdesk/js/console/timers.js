// The timers of an active chat (docs/protocol.md, `alert`): no dead air, silent patrons.
//
// The server stores them on the chat and sends them in its summary; between summaries the
// console moves them as the server does, one message at a time (moveTimers), and reads
// them against the server's clock (store.now()). Nothing here touches the page.

export const STILL_LOOKING = "Still looking.";
export const STILL_THERE = "Are you still there?";

// The thresholds, from the console's data attributes (the REFDESK_* settings).
export function readThresholds(dataset) {
  const ms = (value, fallback) => (Number(value) > 0 ? Number(value) : fallback);
  return {
    amberMs: ms(dataset.deadAirAmberMs, 60000),
    redMs: ms(dataset.deadAirRedMs, 120000),
    askMs: ms(dataset.silentAskMs, 180000),
    endMs: ms(dataset.silentEndMs, 300000),
  };
}

// A stored message moves its chat's timers as the server's message path does: the
// patron's starts a wait for a reply (unless one runs) and ends any silence; the
// librarian's ends the wait and starts a silence. System lines move nothing.
export function moveTimers(summary, message) {
  if (summary.state !== "active") return;
  if (message.sender === "patron") {
    summary.patron_waiting_since = summary.patron_waiting_since || message.sent_at;
    summary.patron_silent_since = null;
    summary.silent_asked_at = null;
    summary.silent_end = false;
  } else if (message.sender === "librarian") {
    summary.patron_waiting_since = null;
    summary.patron_silent_since = message.sent_at;
  }
}

// An `alert` from the server: the silence's stages it reached.
export function applyAlert(summary, frame, now) {
  if (frame.kind !== "silent_patron") return;
  if (!summary.silent_asked_at) summary.silent_asked_at = new Date(now).toISOString();
  if (frame.stage === "end") summary.silent_end = true;
}

// What the chat's timers say at `now` (ms on the server's clock): how long the patron's
// message has waited (null when nothing waits) and its level ("calm", "amber", "red"),
// and the silence's stage ("", "ask" or "end").
export function timerState(summary, now, thresholds) {
  const found = { waitedMs: null, level: "", stage: "" };
  if (summary.state !== "active") return found;
  const since = Date.parse(summary.patron_waiting_since || "");
  if (!Number.isNaN(since)) {
    const waited = Math.max(0, now - since);
    found.waitedMs = waited;
    found.level = waited >= thresholds.redMs ? "red" : waited >= thresholds.amberMs ? "amber" : "calm";
  }
  const silent = Date.parse(summary.patron_silent_since || "");
  if (!Number.isNaN(silent)) {
    const asked = Date.parse(summary.silent_asked_at || "");
    if (summary.silent_end || (!Number.isNaN(asked) && now - asked >= thresholds.endMs)) found.stage = "end";
    else if (!Number.isNaN(asked) || now - silent >= thresholds.askMs) found.stage = "ask";
  }
  return found;
}

// "0:45", "2:05", "1:02:03".
export function formatWait(ms) {
  const total = Math.floor(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

// "45 seconds", "1 minute", "3 minutes", for sentences read aloud.
export function spokenWait(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

// The first exchange happened: a librarian answered a patron's message.
export function exchanged(messages) {
  const first = messages.findIndex((message) => message.sender === "patron");
  return first >= 0 && messages.slice(first + 1).some((message) => message.sender === "librarian");
}
