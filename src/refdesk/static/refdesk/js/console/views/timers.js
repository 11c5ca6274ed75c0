// The timers of each chat of mine (console/timers.js): how long the patron has waited for
// my reply (a badge on the pane and a mark on the tab, amber then red, and the tab's title
// flashing while any is red), "Still looking." one key away (Alt+L), the silent patron's
// suggestions, the quiet reminder to ask for an email, and the wrap-up in the end
// question. Each chat's nodes are added to the pane chats.js built.
import { el } from "../../text.js";
import { STILL_LOOKING, STILL_THERE, exchanged, formatWait, spokenWait, timerState } from "../timers.js";
import { displayName } from "../words.js";
import { $ } from "./common.js";

const TICK_MS = 1000;
const FLASH = "⚠ Waiting · ";

export function mountTimers(store, actions, thresholds) {
  const { state } = store;
  const drawn = new Map(); // chat id -> its nodes and what it was told

  function build(id) {
    const pane = $(`pane-${id}`);
    const tab = $(`tab-${id}`);
    if (!pane || !tab || drawn.has(id)) return;
    const name = () => displayName(state.chats.get(id).summary);
    // role=timer is not read out at every tick; the crossings are said once instead.
    const badge = el("span", { class: "dead-air", role: "timer", hidden: true });
    const mark = el("span", { class: "dead-air-mark", "aria-hidden": "true", hidden: true });
    tab.append(mark);
    pane.querySelector(".pane-who")?.append(badge);

    const stillLooking = el(
      "button",
      { type: "button", class: "button nudge still-looking", "aria-keyshortcuts": "Alt+L", hidden: true, onclick: () => sendLine(id, STILL_LOOKING) },
      `Send "${STILL_LOOKING}" `,
      el("kbd", { text: "Alt+L" })
    );
    const askText = el("span");
    const ask = el(
      "p",
      { class: "nudge-line silent-ask", hidden: true },
      askText,
      " ",
      el("button", { type: "button", class: "button nudge", text: `Send "${STILL_THERE}"`, onclick: () => sendLine(id, STILL_THERE) })
    );
    const end = el(
      "p",
      { class: "nudge-line silent-end", hidden: true },
      el("span", { text: "No answer since the patron was asked. " }),
      el("button", { type: "button", class: "button nudge", text: "End the chat with the closing line", onclick: () => actions.endChat(id, { sendClosing: true }) })
    );
    const emailNote = el("p", { class: "nudge-line email-reminder", hidden: true });
    const email = el(
      "div",
      { class: "email-reminder-box", role: "group", "aria-label": "Email for follow-up", hidden: true },
      emailNote,
      el("button", { type: "button", class: "button subtle", text: "Ask for email", onclick: () => askEmail(id) }),
      el("button", { type: "button", class: "button subtle", text: "Not now", onclick: () => dismissEmail(id) })
    );
    const nudges = el("div", { class: "timer-nudges", role: "group", "aria-label": "Timers" }, stillLooking, ask, end, email);
    pane.querySelector(".composer")?.before(nudges);

    // The wrap-up, in the end question: an email to follow up with, a ticket instead.
    const wrapStatus = el("p", { class: "wrap-up-status", role: "status" });
    const wrapEmail = el("p", { class: "wrap-up-email" });
    const wrapAsk = el("button", { type: "button", class: "button subtle", text: "Ask for email", onclick: () => askEmail(id, wrapStatus) });
    const wrapTicket = el("button", { type: "button", class: "button subtle", text: "Make it a ticket instead", onclick: () => ticket(id, wrapStatus) });
    const wrap = el(
      "div",
      { class: "wrap-up", role: "group", "aria-label": "Wrap-up" },
      el("p", { class: "wrap-up-title", text: "Wrap-up: the closing line, an email to follow up, a ticket?" }),
      wrapEmail,
      wrapAsk,
      wrapTicket,
      wrapStatus
    );
    const confirm = pane.querySelector(".end-confirm");
    confirm?.querySelector(".button.danger")?.before(wrap);

    drawn.set(id, { badge, mark, stillLooking, ask, askText, end, email, emailNote, wrapEmail, wrapAsk, wrapStatus, name, level: "", stage: "", emailAsked: false, emailDismissed: false });
    draw(id);
  }

  function sendLine(id, text) {
    const chat = state.chats.get(id);
    if (!chat || chat.ended) return;
    actions.send(id, text);
  }

  async function askEmail(id, status = null) {
    const parts = drawn.get(id);
    try {
      const said = await actions.askEmail(id);
      if (parts) parts.emailAsked = true;
      if (status) status.textContent = said;
      store.say(said);
    } catch (error) {
      const said = error.message || "Could not ask for the email address.";
      if (status) status.textContent = said;
      store.say(said);
    }
    draw(id);
  }

  function dismissEmail(id) {
    const parts = drawn.get(id);
    if (!parts) return;
    parts.emailDismissed = true;
    draw(id);
    // The reminder went from under the keyboard: it goes back to the composer.
    $(`compose-${id}`)?.focus();
  }

  async function ticket(id, status) {
    try {
      const ticketId = await actions.ticketChat(id);
      store.say(`Ticket ${ticketId} created.`);
    } catch (error) {
      status.textContent =
        error.code === "email_required"
          ? "A ticket is answered by email: ask the patron for their address first, or type it in Create ticket…."
          : error.message || "The ticket was not created.";
    }
  }

  function draw(id) {
    const chat = state.chats.get(id);
    const parts = drawn.get(id);
    if (!chat || !parts) return;
    const s = chat.summary;
    const found = chat.ended ? { waitedMs: null, level: "", stage: "" } : timerState(s, store.now(), thresholds);
    const waiting = found.waitedMs !== null;
    parts.badge.hidden = !waiting;
    parts.badge.className = `dead-air ${found.level}`;
    if (waiting) {
      parts.badge.textContent = `Waiting ${formatWait(found.waitedMs)}`;
      parts.badge.setAttribute("aria-label", `The patron has waited ${spokenWait(found.waitedMs)} for your reply`);
    }
    parts.mark.hidden = !(found.level === "amber" || found.level === "red");
    parts.mark.className = `dead-air-mark ${found.level}`;
    parts.mark.textContent = found.level === "red" ? "!!" : "!";
    parts.stillLooking.hidden = !(found.level === "amber" || found.level === "red");
    if (found.level === "amber" && parts.level === "calm") {
      store.say(`${parts.name()} has waited ${spokenWait(found.waitedMs)}. Alt+L sends "${STILL_LOOKING}"`);
    }
    parts.level = found.level;
    parts.ask.hidden = found.stage !== "ask";
    parts.end.hidden = found.stage !== "end";
    if (found.stage === "ask") {
      const since = Date.parse(s.patron_silent_since);
      parts.askText.textContent = `${parts.name()} has not answered for ${spokenWait(store.now() - since)}.`;
    }
    parts.stage = found.stage;
    const noEmail = !s.patron_email;
    parts.email.hidden = !(noEmail && !chat.ended && !parts.emailAsked && !parts.emailDismissed && exchanged(chat.messages));
    parts.emailNote.textContent = `${parts.name()} gave no email: ask for one now, to follow up later if need be.`;
    parts.wrapEmail.textContent = noEmail
      ? parts.emailAsked
        ? "Email: asked for, not given yet."
        : "Email: none given."
      : `Email for follow-up: ${s.patron_email}`;
    parts.wrapAsk.hidden = !noEmail;
  }

  function flashTitle(on) {
    const base = document.title.startsWith(FLASH) ? document.title.slice(FLASH.length) : document.title;
    document.title = on ? FLASH + base : base;
  }

  let flashOn = false;
  setInterval(() => {
    let red = false;
    for (const id of drawn.keys()) {
      draw(id);
      if (drawn.get(id).level === "red") red = true;
    }
    flashOn = red && !flashOn;
    flashTitle(flashOn);
  }, TICK_MS);

  store.subscribe("chats", (change) => {
    if (change.kind === "open") build(change.id);
    else if (change.kind === "close") drawn.delete(change.id);
    else if (drawn.has(change.id)) {
      if (change.kind === "confirm") drawn.get(change.id).wrapStatus.textContent = "";
      draw(change.id);
    }
  });
  store.subscribe("transfer", ({ id }) => draw(id));

  store.subscribe("timers", ({ id, alert }) => {
    const parts = drawn.get(id);
    if (!parts) return;
    draw(id);
    if (alert.kind === "dead_air") {
      store.say(`${parts.name()} has waited ${spokenWait(store.now() - Date.parse(alert.since))} for your reply.`);
    } else if (alert.kind === "silent_patron" && alert.stage === "ask") {
      store.say(`${parts.name()} has not answered for a while. You could ask "${STILL_THERE}"`);
    } else if (alert.kind === "silent_patron") {
      store.say(`${parts.name()} has still not answered. You could end the chat with the closing line.`);
    }
  });

  // Alt+L: "Still looking." to the chat on screen, while its patron waits for a reply.
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.code !== "KeyL") return;
    const chat = state.chats.get(state.current);
    if (!chat || chat.ended || !chat.summary.patron_waiting_since) return;
    event.preventDefault();
    sendLine(chat.id, STILL_LOOKING);
  });
}
