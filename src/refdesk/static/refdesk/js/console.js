// The librarian console: every queue live, claimed chats in tabs, on the staff socket.
import { ReconnectingSocket, newClientId } from "./socket.js";
import { el, formatClock, formatWait, placeMessage, renderRichText } from "./text.js";

const root = document.getElementById("console");
const me = { id: Number(root.dataset.meId), name: root.dataset.meName, campus: root.dataset.meCampus };
const $ = (id) => document.getElementById(id);
const CLOSING_LINE = "I hope that helps. Have a great day!";
const CLAIMED_LINGER_MS = 30000;
// The snapshot sends at most this many new tickets; live ones do not grow the list past it.
const TICKETS_SHOWN = 100;
// A ticket's question is shown whole up to this length, and behind a disclosure beyond it.
const TICKET_EXCERPT = 280;
const END_REASONS = {
  closed: "The chat has ended.",
  patron_left: "Patron left.",
  idle: "Ended after the patron went quiet.",
  ticketed: "Turned into a ticket.",
  blocked: "Patron blocked.",
  unanswered: "Nobody answered in time.",
  dismissed: "Dismissed from the queue by a supervisor.",
};

// Settings survive a reload where the browser allows storage; elsewhere they are per page.
function readSetting(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeSetting(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage blocked (a private window, a policy): the setting lasts for this page.
  }
}

const state = {
  lastEventId: 0,
  queue: new Map(), // chat_id -> summary (waiting, or lately claimed)
  chats: new Map(), // chat_id -> {summary, lastSeq, unread, pane, tab, ended}
  current: null,
  presence: new Map(),
  tickets: new Map(), // ticket_id -> summary, state "new"
  outbox: new Map(), // client_id -> {chat, text}, until acknowledged
  soundOn: readSetting("refdesk.sound") !== "off",
  unseen: 0,
  socket: null,
};

// --- helpers ---------------------------------------------------------------

function announce(text) {
  const box = $("announcer");
  box.textContent = "";
  setTimeout(() => (box.textContent = text), 50);
}

function badge(chat) {
  return el("span", { class: `badge campus-${chat.campus}`, text: chat.campus_name });
}

function displayName(chat) {
  return chat.patron_name || firstLine(chat.question);
}

function firstLine(text) {
  const line = (text || "").split("\n")[0].trim();
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

function greeting(chat) {
  const intro = chat.campus !== me.campus ? ` I'm ${me.name}, answering for ${chat.campus_name}.` : "";
  return chat.patron_name ? `Hi ${chat.patron_name},${intro} ` : `Hi! May I have your name?${intro}`;
}

function beep() {
  if (!state.soundOn) return;
  try {
    const ctx = (state.audio ||= new AudioContext());
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
  } catch {
    // No audio device, or the browser blocked it until the first click.
  }
}

function updateTitle() {
  const waiting = [...state.queue.values()].filter((c) => c.state === "waiting").length;
  $("waiting-count").textContent = String(waiting);
  const unread = [...state.chats.values()].reduce((n, c) => n + c.unread, 0);
  const count = waiting + unread;
  document.title = count ? `(${count}) Console — refdesk` : "Console — refdesk";
}

function notifyNewChat(chat) {
  beep();
  announce(`New chat from ${displayName(chat)} at ${chat.campus_name}.`);
  if (document.hidden && "Notification" in window && Notification.permission === "granted") {
    const note = new Notification(`New chat: ${chat.campus_name}`, { body: displayName(chat), tag: `chat-${chat.id}` });
    note.onclick = () => window.focus();
  }
}

// --- the queue -------------------------------------------------------------

function renderQueue() {
  const filter = $("campus-filter").value;
  const list = $("queue");
  const items = [...state.queue.values()]
    .filter((chat) => !filter || chat.campus === filter)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  // The queue is redrawn on every event: a keyboard user tabbing through it keeps their place.
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const focusedId = focused?.closest(".queue-item")?.dataset.chatId;
  const focusedClaim = focused?.classList.contains("claim");
  list.replaceChildren(...items.map(queueItem));
  if (focusedId) {
    const item = list.querySelector(`.queue-item[data-chat-id="${CSS.escape(focusedId)}"]`);
    const target = (focusedClaim && item?.querySelector(".claim:not(:disabled)")) || item?.querySelector(".patron-name");
    if (target) target.focus();
  }
  $("queue-empty").hidden = items.length > 0;
  updateTitle();
}

function queueItem(chat) {
  const claimed = chat.state !== "waiting";
  const who = el("button", {
    type: "button",
    class: "patron-name link-button",
    "aria-controls": "patron-panel",
    text: displayName(chat),
    onclick: () => showPatron(chat),
  });
  const item = el(
    "li",
    { class: `queue-item${claimed ? " claimed" : ""}`, "data-chat-id": chat.id },
    el("div", { class: "queue-line" }, who, badge(chat)),
    chat.patron_name ? el("p", { class: "excerpt", text: firstLine(chat.question) }) : null,
    chat.name_was_question ? el("p", { class: "marker", text: "Question was typed in the name box" }) : null,
    el(
      "div",
      { class: "queue-line" },
      claimed
        ? el("span", { class: "wait", text: `Waited ${formatWait(((chat.claimed_ms || Date.now()) - Date.parse(chat.created_at)) / 1000)}` })
        : el("span", { class: "wait", "data-since": chat.created_at, text: formatWait((Date.now() - Date.parse(chat.created_at)) / 1000) }),
      claimed
        ? el("p", { class: "claimed-by", text: `Claimed by ${chat.claimed_by}` })
        : el("button", {
            type: "button",
            class: "button primary claim",
            "aria-label": `Claim Chat with ${displayName(chat)}`,
            text: "Claim Chat",
            onclick: (event) => claim(chat.id, event.currentTarget),
          })
    )
  );
  return item;
}

function tickWaits() {
  const now = Date.now();
  for (const node of document.querySelectorAll(".wait[data-since]")) {
    node.textContent = formatWait((now - Date.parse(node.dataset.since)) / 1000);
  }
}

function markClaimed(chatId, by, byId) {
  const chat = state.queue.get(chatId);
  if (!chat) return;
  chat.state = "active";
  chat.claimed_ms ||= chat.claimed_at ? Date.parse(chat.claimed_at) : Date.now();
  chat.claimed_by = by;
  chat.claimed_by_id = byId;
  renderQueue();
  setTimeout(() => {
    const current = state.queue.get(chatId);
    if (current && current.state !== "waiting") {
      state.queue.delete(chatId);
      renderQueue();
    }
  }, CLAIMED_LINGER_MS);
}

async function claim(chatId, button) {
  button.disabled = true;
  const activeBefore = [...state.chats.values()].filter((c) => !c.ended).length;
  try {
    const ack = await state.socket.request({ type: "chat.claim", chat_id: chatId });
    markClaimed(chatId, me.name, me.id);
    openChat(ack.chat, { focus: true, prefill: true });
    if (activeBefore > 0) {
      showReminder(`You already have ${activeBefore} active chat${activeBefore > 1 ? "s" : ""}.`);
    }
  } catch (error) {
    if (error.code === "already_claimed") markClaimed(chatId, error.by, error.by_id);
    else if (error.code === "chat_ended") {
      state.queue.delete(chatId);
      renderQueue();
    } else button.disabled = false;
    announce(error.message || "Could not claim the chat.");
  }
}

function showReminder(text) {
  const box = $("reminder");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(state.reminderTimer);
  state.reminderTimer = setTimeout(() => (box.hidden = true), 8000);
}

// --- new tickets -----------------------------------------------------------

function formatWhen(iso) {
  const when = new Date(iso);
  if (when.toDateString() === new Date().toDateString()) return formatClock(iso);
  return when.toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

// Every part of an address is encoded, so that nothing in it reads as a mailto: header.
function mailto(email) {
  return `mailto:${email.split("@").map(encodeURIComponent).join("@")}`;
}

function renderTickets() {
  const filter = $("campus-filter").value;
  const list = $("tickets");
  const items = [...state.tickets.values()]
    .filter((ticket) => !filter || ticket.campus === filter)
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  // A keyboard user on a ticket's link keeps their place when a new one arrives.
  const focusedId = list.contains(document.activeElement) ? document.activeElement.closest(".ticket-item")?.dataset.ticketId : null;
  list.replaceChildren(...items.map(ticketItem));
  if (focusedId) list.querySelector(`.ticket-item[data-ticket-id="${CSS.escape(focusedId)}"] a`)?.focus();
  $("tickets-count").textContent = String(items.length);
  $("tickets-empty").hidden = items.length > 0;
}

function ticketItem(ticket) {
  const question = el("p", { class: "ticket-question", dir: "auto" });
  const long = ticket.question.length > TICKET_EXCERPT;
  renderRichText(question, long ? `${ticket.question.slice(0, TICKET_EXCERPT - 1)}…` : ticket.question);
  let more = null;
  if (long) {
    const whole = el("p", { class: "ticket-question", dir: "auto" });
    renderRichText(whole, ticket.question);
    more = el("details", { class: "ticket-more" }, el("summary", { text: "Whole question" }), whole);
  }
  return el(
    "li",
    { class: `ticket-item campus-${ticket.campus}`, "data-ticket-id": ticket.id },
    el("div", { class: "queue-line" }, el("span", { class: "ticket-who", dir: "auto", text: ticket.name || "(no name given)" }), badge(ticket)),
    el("a", { class: "ticket-email", href: mailto(ticket.email), text: ticket.email }),
    question,
    more,
    el("time", { class: "ticket-time", datetime: ticket.created_at, text: formatWhen(ticket.created_at) })
  );
}

function addTicket(ticket) {
  if (state.tickets.has(ticket.id)) return;
  state.tickets.set(ticket.id, ticket);
  if (state.tickets.size > TICKETS_SHOWN) {
    const oldest = [...state.tickets.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id)[0];
    state.tickets.delete(oldest.id);
  }
  renderTickets();
  announce(`New ticket from ${ticket.name || ticket.email} at ${ticket.campus_name}.`);
}

// --- the patron panel ------------------------------------------------------

function showPatron(chat) {
  const panel = $("patron-panel");
  const details = $("patron-details");
  const rows = [
    ["Name", chat.patron_name || "(not given)"],
    ["Campus", chat.campus_name],
    ["Question", chat.question],
    ["Came from", chat.page_url || "(unknown)"],
    ["Browser", chat.browser],
    ["Email", chat.patron_email || "(not given)"],
    ["Waiting since", `${formatClock(chat.created_at)} (${formatWait((Date.now() - Date.parse(chat.created_at)) / 1000)})`],
  ];
  if (chat.name_was_question) rows.splice(1, 0, ["Note", "Question was typed in the name box"]);
  details.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dd = el("dd");
      renderRichText(dd, value);
      return [el("dt", { text: term }), dd];
    })
  );
  panel.hidden = false;
  panel.dataset.chatId = chat.id;
  $("patron-title").focus();
}

// --- my chats --------------------------------------------------------------

function openChat(summary, { focus = false, prefill = false } = {}) {
  let chat = state.chats.get(summary.id);
  const isNew = !chat;
  if (!chat) {
    chat = { summary, lastSeq: 0, unread: 0, ended: false };
    state.chats.set(summary.id, chat);
    buildChat(chat);
    if (prefill) chat.pane.querySelector("textarea").value = greeting(summary);
  } else {
    chat.summary = { ...chat.summary, ...summary };
  }
  for (const message of summary.messages || []) addMessage(chat, message, { history: isNew });
  if (summary.state === "ended") markEnded(chat, summary.end_reason);
  if (focus || state.current === null) selectChat(summary.id);
  if (focus && !chat.ended) chat.pane.querySelector("textarea").focus();
  $("workspace-empty").hidden = state.chats.size > 0;
  return chat;
}

function buildChat(chat) {
  const s = chat.summary;
  const name = displayName(s);
  chat.tab = el(
    "button",
    {
      type: "button",
      role: "tab",
      id: `tab-${s.id}`,
      class: "tab",
      "aria-controls": `pane-${s.id}`,
      "aria-selected": "false",
      tabindex: "-1",
      onclick: () => selectChat(s.id),
      onkeydown: onTabKey,
    },
    el("span", { class: `dot campus-${s.campus}`, "aria-hidden": "true" }),
    el("span", { class: "tab-name", text: name }),
    el("span", { class: "unread", hidden: true })
  );
  const textarea = el("textarea", { id: `compose-${s.id}`, rows: "3", maxlength: "4000", autocomplete: "off" });
  const composer = el(
    "form",
    { class: "composer", onsubmit: (event) => sendMessage(event, chat) },
    el("label", { for: `compose-${s.id}`, class: "visually-hidden", text: `Message to ${name}` }),
    textarea,
    el("button", { type: "submit", class: "button primary", text: "Send" })
  );
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  textarea.addEventListener("input", () => typing(chat));
  const confirm = el(
    "div",
    { class: "end-confirm", hidden: true, role: "group", "aria-label": "End this chat" },
    el("p", { text: "End this chat?" }),
    el(
      "label",
      { class: "check" },
      el("input", { type: "checkbox", class: "send-closing", checked: true }),
      ` Send "${CLOSING_LINE}" first`
    ),
    el("button", { type: "button", class: "button danger", text: "End chat", onclick: () => endChat(chat) }),
    el("button", { type: "button", class: "button subtle", text: "Cancel", onclick: () => toggleConfirm(chat, false) })
  );
  chat.pane = el(
    "section",
    { class: "pane", role: "tabpanel", id: `pane-${s.id}`, "aria-labelledby": `tab-${s.id}`, hidden: true },
    el(
      "div",
      { class: "pane-head" },
      el(
        "div",
        { class: "pane-who" },
        el("h3", { class: "pane-title" }, el("button", { type: "button", class: "link-button patron-name", text: name, onclick: () => showPatron(chat.summary) })),
        badge(s)
      ),
      el("button", {
        type: "button",
        class: "end",
        "aria-label": `End chat with ${name}`,
        title: "End chat",
        text: "×",
        onclick: () => toggleConfirm(chat, true),
      })
    ),
    s.name_was_question ? el("p", { class: "pane-note" }, el("span", { class: "marker", text: "Question was typed in the name box" })) : null,
    confirm,
    el("div", { class: "messages", role: "log", "aria-live": "polite", "aria-label": `Conversation with ${name}` }),
    el("p", { class: "typing", "aria-live": "polite" }),
    el(
      "div",
      { class: "suggestions", role: "group", "aria-label": "Suggested lines" },
      el("button", { type: "button", class: "button subtle", text: "Greeting", onclick: () => suggest(chat, greeting(chat.summary)) }),
      el("button", { type: "button", class: "button subtle", text: "Still looking", onclick: () => suggest(chat, "Still looking, thanks for your patience!") }),
      el("button", { type: "button", class: "button subtle", text: "Closing line", onclick: () => suggest(chat, CLOSING_LINE) })
    ),
    composer,
    el("p", { class: "notice error composer-error", role: "alert", hidden: true }),
    el("p", { class: "ended-note", hidden: true }),
    el("button", { type: "button", class: "button subtle close-tab", hidden: true, text: "Close tab", onclick: () => closeTab(chat) })
  );
  $("tabs").append(chat.tab);
  $("panes").append(chat.pane);
}

function suggest(chat, text) {
  const box = chat.pane.querySelector("textarea");
  box.value = text;
  box.focus();
}

function onTabKey(event) {
  const tabs = [...$("tabs").querySelectorAll("[role=tab]")];
  const index = tabs.indexOf(event.currentTarget);
  let next = null;
  if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
  else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
  else if (event.key === "Home") next = tabs[0];
  else if (event.key === "End") next = tabs[tabs.length - 1];
  if (next) {
    event.preventDefault();
    next.click();
    next.focus();
  }
}

function selectChat(chatId) {
  state.current = chatId;
  for (const [id, chat] of state.chats) {
    const selected = id === chatId;
    chat.tab.setAttribute("aria-selected", String(selected));
    chat.tab.tabIndex = selected ? 0 : -1;
    chat.pane.hidden = !selected;
    if (selected) {
      chat.unread = 0;
      renderUnread(chat);
    }
  }
  updateTitle();
}

function renderUnread(chat) {
  const badgeNode = chat.tab.querySelector(".unread");
  badgeNode.hidden = chat.unread === 0;
  badgeNode.textContent = chat.unread ? `${chat.unread} unread` : "";
}

function addMessage(chat, message, { history = false } = {}) {
  if (message.seq <= chat.lastSeq) return;
  chat.lastSeq = message.seq;
  const list = chat.pane.querySelector(".messages");
  const own = message.sender === "librarian" && message.client_id
    ? list.querySelector(`.message.pending[data-client-id="${CSS.escape(message.client_id)}"]`)
    : null;
  const body = el("div", { class: "body", dir: "auto" });
  renderRichText(body, message.body);
  const node = el(
    "div",
    { class: `message from-${message.sender}`, "data-seq": message.seq },
    message.sender === "system" ? null : el("span", { class: "who", text: message.sender === "patron" ? message.sender_name || "Patron" : message.sender_name }),
    body,
    el("time", { class: "when", datetime: message.sent_at, text: formatClock(message.sent_at) })
  );
  own?.remove();
  placeMessage(list, node, message.seq);
  if (message.sender === "patron") {
    chat.pane.querySelector(".typing").textContent = "";
    if (!history && (state.current !== chat.summary.id || document.hidden)) {
      chat.unread += 1;
      renderUnread(chat);
      beep();
    }
  }
  // The list scrolls, not the page: the queue and the composer stay where they are.
  list.scrollTop = list.scrollHeight;
  updateTitle();
}

async function sendMessage(event, chat) {
  event.preventDefault();
  const box = chat.pane.querySelector("textarea");
  const text = box.value.trim();
  if (!text || chat.ended) return;
  const clientId = newClientId();
  const list = chat.pane.querySelector(".messages");
  const pendingBody = el("div", { class: "body", dir: "auto" });
  renderRichText(pendingBody, text);
  list.append(el("div", { class: "message from-librarian pending", "data-client-id": clientId }, el("span", { class: "who", text: me.name }), pendingBody, el("time", { class: "when", text: "sending…" })));
  list.scrollTop = list.scrollHeight;
  box.value = "";
  chat.typingSentAt = 0;
  state.socket.notify({ type: "typing", chat_id: chat.summary.id, active: false });
  state.outbox.set(clientId, { chat, text });
  await deliver(chat, clientId, text);
}

async function deliver(chat, clientId, text) {
  const errorBox = chat.pane.querySelector(".composer-error");
  try {
    const ack = await state.socket.request({ type: "message.send", chat_id: chat.summary.id, client_id: clientId, body: text });
    state.outbox.delete(clientId);
    errorBox.hidden = true;
    addMessage(chat, ack.message);
  } catch (error) {
    // Disconnected: it stays in the outbox and goes again, with the same client id (stored
    // once however often it arrives), as soon as the socket is back, however long that takes.
    if (error.code === "disconnected") return;
    if (error.code === "rate_limited") {
      setTimeout(() => deliver(chat, clientId, text), Math.max(100, (error.retry_after || 1) * 1000));
      return;
    }
    state.outbox.delete(clientId);
    chat.pane.querySelector(`.message.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
    const box = chat.pane.querySelector("textarea");
    if (!box.value) box.value = text; // not lost: the librarian can edit it and try again
    errorBox.textContent = error.message || "The message was not sent.";
    errorBox.hidden = false;
  }
}

function flushOutbox() {
  for (const [clientId, { chat, text }] of state.outbox) deliver(chat, clientId, text);
}

function typing(chat) {
  if (chat.ended) return;
  const now = Date.now();
  if (!chat.typingSentAt || now - chat.typingSentAt > 3000) {
    chat.typingSentAt = now;
    state.socket.notify({ type: "typing", chat_id: chat.summary.id, active: true });
  }
  clearTimeout(chat.typingTimer);
  chat.typingTimer = setTimeout(() => {
    chat.typingSentAt = 0;
    state.socket.notify({ type: "typing", chat_id: chat.summary.id, active: false });
  }, 4000);
}

function toggleConfirm(chat, show) {
  const box = chat.pane.querySelector(".end-confirm");
  box.hidden = !show;
  if (show) box.querySelector(".button.danger").focus();
  else chat.pane.querySelector("textarea").focus();
}

async function endChat(chat) {
  const sendClosing = chat.pane.querySelector(".send-closing").checked;
  try {
    await state.socket.request({ type: "chat.end", chat_id: chat.summary.id, closing: sendClosing ? CLOSING_LINE : "" });
    markEnded(chat, "closed");
  } catch (error) {
    if (error.code === "chat_ended") markEnded(chat, chat.summary.end_reason || "closed");
    else announce(error.message || "Could not end the chat.");
  }
}

function markEnded(chat, reason) {
  if (chat.ended) return;
  chat.ended = true;
  chat.summary.state = "ended";
  const note = chat.pane.querySelector(".ended-note");
  note.textContent = END_REASONS[reason] || "The chat has ended.";
  note.hidden = false;
  chat.pane.querySelector(".end-confirm").hidden = true;
  chat.pane.querySelector(".composer").hidden = true;
  chat.pane.querySelector(".suggestions").hidden = true;
  chat.pane.querySelector(".end").hidden = true;
  chat.pane.querySelector(".typing").textContent = "";
  chat.pane.querySelector(".close-tab").hidden = false;
  chat.tab.classList.add("ended");
  announce(`Chat with ${displayName(chat.summary)}: ${note.textContent}`);
}

function closeTab(chat) {
  chat.tab.remove();
  chat.pane.remove();
  state.chats.delete(chat.summary.id);
  const next = state.chats.keys().next();
  state.current = null;
  if (!next.done) selectChat(next.value);
  $("workspace-empty").hidden = state.chats.size > 0;
  updateTitle();
}

// --- presence --------------------------------------------------------------

function renderPresence() {
  const rows = [...state.presence.values()].sort((a, b) => (a.status === b.status ? a.display_name.localeCompare(b.display_name) : a.status === "online" ? -1 : 1));
  $("presence").replaceChildren(
    ...rows.map((p) =>
      el("li", { class: `presence-${p.status}` }, el("span", { class: `dot campus-${p.campus}`, "aria-hidden": "true" }), `${p.display_name} (${p.campus}) — ${p.status}`)
    )
  );
}

// --- the socket ------------------------------------------------------------

function applySnapshot(frame) {
  state.lastEventId = Math.max(state.lastEventId, frame.event_id);
  state.queue.clear();
  for (const chat of frame.waiting) state.queue.set(chat.id, chat);
  renderQueue();
  const stillMine = new Set(frame.active.map((c) => c.id));
  for (const chat of frame.active) openChat(chat);
  for (const chat of frame.ended) openChat(chat);
  for (const [id, chat] of state.chats) {
    if (!stillMine.has(id) && !chat.ended) markEnded(chat, "closed");
  }
  state.presence.clear();
  for (const p of frame.presence) state.presence.set(p.librarian_id, p);
  renderPresence();
  state.tickets.clear();
  for (const ticket of frame.tickets) state.tickets.set(ticket.id, ticket);
  renderTickets();
}

function onFrame(frame) {
  if (frame.event_id) state.lastEventId = Math.max(state.lastEventId, frame.event_id);
  switch (frame.type) {
    case "snapshot":
      applySnapshot(frame);
      break;
    case "chat.created":
      if (!state.queue.has(frame.chat.id)) {
        state.queue.set(frame.chat.id, frame.chat);
        renderQueue();
        notifyNewChat(frame.chat);
      }
      break;
    case "chat.claimed":
      markClaimed(frame.chat_id, frame.by, frame.by_id);
      if (frame.by_id === me.id && !state.chats.has(frame.chat_id)) {
        // Claimed from another tab or window of mine: show it here too.
        state.socket.request({ type: "chat.fetch", chat_id: frame.chat_id }).then((ack) => openChat(ack.chat)).catch(() => {});
      }
      break;
    case "chat.ended": {
      state.queue.delete(frame.chat_id);
      renderQueue();
      const chat = state.chats.get(frame.chat_id);
      if (chat) markEnded(chat, frame.reason);
      break;
    }
    case "chat.updated":
      if (state.queue.has(frame.chat.id)) {
        state.queue.set(frame.chat.id, frame.chat);
        renderQueue();
      }
      break;
    case "message": {
      const chat = state.chats.get(frame.chat_id);
      if (chat) addMessage(chat, frame);
      break;
    }
    case "typing": {
      const chat = state.chats.get(frame.chat_id);
      if (chat && !chat.ended) {
        const line = chat.pane.querySelector(".typing");
        line.textContent = frame.active ? `${chat.summary.patron_name || "The patron"} is typing…` : "";
        // A lost "stopped typing" must not leave the line up for ever.
        clearTimeout(chat.typingShownTimer);
        if (frame.active) chat.typingShownTimer = setTimeout(() => (line.textContent = ""), 8000);
      }
      break;
    }
    case "presence":
      state.presence.set(frame.librarian_id, frame);
      renderPresence();
      break;
    case "ticket.created":
      addTicket(frame.ticket);
      break;
    case "error":
      // Errors without a ref answer notifications (typing); say them, do not hide them.
      if (frame.code === "unauthenticated") announce("Your session has ended. Log in again.");
      else if (frame.code !== "rate_limited") announce(frame.message || "Something went wrong.");
      break;
    default:
      break;
  }
}

function onStatus(status) {
  const box = $("connection");
  box.textContent = { connecting: "Connecting…", reconnecting: "Reconnecting…", open: "Connected", closed: "Disconnected. Reload the page to log in again." }[status];
  box.dataset.status = status;
  if (status === "open") flushOutbox();
}

function onClose(event) {
  if (event.code === 4401 || event.code === 4403) {
    location.href = `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
    return false;
  }
  return true;
}

state.socket = new ReconnectingSocket(() => `/ws/staff/?after=${state.lastEventId}`, { onFrame, onStatus, onClose });

// --- controls --------------------------------------------------------------

$("campus-filter").value = readSetting("refdesk.filter") || "";
$("campus-filter").addEventListener("change", () => {
  writeSetting("refdesk.filter", $("campus-filter").value);
  renderQueue();
  renderTickets();
});
const soundButton = $("sound-toggle");
function renderSound() {
  soundButton.setAttribute("aria-pressed", String(state.soundOn));
  soundButton.textContent = state.soundOn ? "Sound on" : "Sound off";
}
soundButton.addEventListener("click", () => {
  state.soundOn = !state.soundOn;
  writeSetting("refdesk.sound", state.soundOn ? "on" : "off");
  renderSound();
});
renderSound();
if ("Notification" in window && Notification.permission === "default") {
  $("notify-enable").hidden = false;
  $("notify-enable").addEventListener("click", async () => {
    await Notification.requestPermission();
    $("notify-enable").hidden = true;
  });
}
$("patron-close").addEventListener("click", () => {
  $("patron-panel").hidden = true;
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("patron-panel").hidden) $("patron-panel").hidden = true;
});
setInterval(tickWaits, 1000);

// For tests: drop the connection to see the console resume.
window.refdeskConsole = { drop: () => state.socket.drop(), state };
