// The librarian console: every queue live, claimed chats in tabs, on the staff socket.
import { ReconnectingSocket, newClientId } from "./socket.js";
import { el, formatClock, formatWait, placeMessage, renderRichText } from "./text.js";

const root = document.getElementById("console");
const me = {
  id: Number(root.dataset.meId),
  name: root.dataset.meName,
  campus: root.dataset.meCampus,
  role: root.dataset.meRole,
};
const $ = (id) => document.getElementById(id);
const CLOSING_LINE = "I hope that helps. Have a great day!";
const CLAIMED_LINGER_MS = 30000;
// A ticket's question is shown whole up to this length, and behind a disclosure beyond it.
const TICKET_EXCERPT = 280;
// The server takes at most this many chats in one chat.dismiss.
const DISMISS_BATCH = 200;
// New chats that arrive this soon after one another are announced together.
const ARRIVALS_MS = 2000;
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

// Older first: by created_at, then id (the server's order for queues and tickets).
function age(a, b) {
  return a.created_at.localeCompare(b.created_at) || a.id - b.id;
}

function plural(n, word) {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

// --- live lists ------------------------------------------------------------

// A list drawn from a map of items, one node per item. An item that arrives is placed in
// its sorted spot, one that changes is redrawn in its own node, one that goes is removed:
// the other nodes stay as they are, and with them a keyboard user's focus. Only a change of
// the campus filter redraws the list. The server sends the newest page and counts; older
// items come a page at a time (`request`), and the count says how many are not shown.
class LiveList {
  constructor({ list, older, empty, count, order, build, refresh, focusable, idOf, request, pageKey, noun, shows }) {
    Object.assign(this, { list, older, empty, count, order, build, refresh, focusable, idOf, request, pageKey, noun, shows });
    this.items = new Map(); // id -> item, whatever the filter
    this.nodes = new Map(); // id -> its node, built when first shown
    this.total = 0;
    this.byCampus = new Map();
    this.complete = new Map(); // view ("" or a campus) -> the oldest item down to which it holds every item
    this.exhausted = new Set(); // views whose oldest page has come
    this.pageSize = 0;
    this.loading = false;
    older.addEventListener("click", () => this.loadOlder());
  }

  view() {
    return $("campus-filter").value;
  }

  inView(item, view = this.view()) {
    return !view || item.campus === view;
  }

  totalFor(view = this.view()) {
    return view ? this.byCampus.get(view) || 0 : this.total;
  }

  shownFor(view = this.view()) {
    let shown = 0;
    for (const item of this.items.values()) if (this.shows(item) && this.inView(item, view)) shown += 1;
    return shown;
  }

  notShown(view = this.view()) {
    if (this.exhausted.has("") || this.exhausted.has(view)) return 0;
    return Math.max(0, this.totalFor(view) - this.shownFor(view));
  }

  // Count an item in or out of the totals (delta +1 or -1).
  tally(campus, delta) {
    this.total = Math.max(0, this.total + delta);
    this.byCampus.set(campus, Math.max(0, (this.byCampus.get(campus) || 0) + delta));
  }

  // The oldest position down to which the view holds every item: its own pages, or the
  // pages of every campus together, whichever reach further back.
  cursor(view = this.view()) {
    const all = this.complete.get("");
    const own = view ? this.complete.get(view) : undefined;
    if (!all || !own) return all || own || null;
    return age(all, own) < 0 ? all : own;
  }

  put(item) {
    const known = this.items.get(item.id);
    this.items.set(item.id, item);
    const node = this.nodes.get(item.id);
    if (node) {
      if (known && this.refresh(known, item)) this.redrawNode(node, item);
    } else if (this.inView(item)) {
      this.place(this.nodeFor(item), item);
    }
  }

  nodeFor(item) {
    let node = this.nodes.get(item.id);
    if (!node) {
      node = this.build(item);
      this.nodes.set(item.id, node);
    }
    return node;
  }

  // Binary search of the drawn rows for the first that sorts after the item.
  place(node, item) {
    const rows = this.list.children;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = this.items.get(this.idOf(rows[middle]));
      if (other && this.order(other, item) <= 0) low = middle + 1;
      else high = middle;
    }
    this.list.insertBefore(node, rows[low] || null);
  }

  // The item's own node gets new contents; focus inside it goes to its first control.
  redrawNode(node, item) {
    const hadFocus = node.contains(document.activeElement);
    const fresh = this.build(item);
    node.className = fresh.className;
    node.replaceChildren(...fresh.childNodes);
    if (hadFocus) this.focusable(node)?.focus();
  }

  redrawAll() {
    for (const [id, node] of this.nodes) this.redrawNode(node, this.items.get(id));
  }

  remove(id) {
    this.items.delete(id);
    const node = this.nodes.get(id);
    if (!node) return;
    this.nodes.delete(id);
    if (node.isConnected && node.contains(document.activeElement)) {
      // Focus goes to the next row, or the one before, not back to the top of the page.
      const next = node.nextElementSibling || node.previousElementSibling;
      node.remove();
      (next && this.focusable(next))?.focus();
    } else {
      node.remove();
    }
  }

  // The campus filter changed: the one redraw of the whole list.
  redraw() {
    const items = [...this.items.values()].filter((item) => this.inView(item)).sort(this.order);
    this.list.replaceChildren(...items.map((item) => this.nodeFor(item)));
    this.render();
  }

  // A snapshot: its page replaces what the list held; rows still in it keep their nodes.
  replaceWith(page, total, byCampus) {
    const fresh = new Set(page.map((item) => item.id));
    for (const id of [...this.items.keys()]) if (!fresh.has(id)) this.remove(id);
    for (const item of page) this.put(item);
    this.total = total;
    this.byCampus = new Map(Object.entries(byCampus));
    this.complete = new Map();
    this.exhausted = new Set();
    const oldest = page.reduce((found, item) => (!found || age(item, found) < 0 ? item : found), null);
    if (oldest) this.complete.set("", oldest);
    if (total > page.length) this.pageSize = Math.max(this.pageSize, page.length);
    this.render();
  }

  render() {
    const more = this.notShown();
    this.older.hidden = more === 0;
    this.older.textContent = `Show older ${this.noun}s (${more.toLocaleString()} more)`;
    this.count.textContent = this.totalFor().toLocaleString();
    this.empty.hidden = this.list.childElementCount > 0 || more > 0;
  }

  // The filtered view holds less than a page of what there is: fetch its next page, so
  // that a filter never hides items that exist.
  fill() {
    if (this.notShown() > 0 && this.shownFor() < this.pageSize) this.loadOlder();
  }

  async loadOlder() {
    if (this.loading || !state.socket) return;
    const view = this.view();
    const cursor = this.cursor(view);
    const buttonHadFocus = document.activeElement === this.older;
    // Not disabled while it loads: a disabled button would drop the keyboard focus.
    this.loading = true;
    this.older.setAttribute("aria-busy", "true");
    try {
      const ack = await state.socket.request({ ...this.request, campus: view || null, before: cursor ? cursor.id : null });
      const page = ack[this.pageKey];
      const added = page.filter((item) => !this.items.has(item.id));
      for (const item of added) this.put(item);
      const oldest = page.reduce((found, item) => (!found || age(item, found) < 0 ? item : found), null);
      if (oldest) this.complete.set(view, oldest);
      if (!ack.more) this.exhausted.add(view);
      announce(added.length ? `Showing ${plural(added.length, `older ${this.noun}`)}.` : `No older ${this.noun}s.`);
      if (buttonHadFocus && this.notShown(view) === 0) {
        const first = added.filter((item) => this.inView(item)).sort(this.order)[0];
        const target = first && this.nodes.get(first.id);
        (target ? this.focusable(target) : this.list)?.focus();
      }
    } catch (error) {
      if (error.code !== "disconnected") announce(error.message || `Could not load older ${this.noun}s.`);
    } finally {
      this.loading = false;
      this.older.removeAttribute("aria-busy");
      this.render();
    }
  }
}

const state = {
  lastEventId: 0,
  // Events up to the snapshot's event_id are in its counts; later ones move them.
  countedThrough: 0,
  queue: null, // LiveList of waiting chats (and, for a while, ones just claimed)
  tickets: null, // LiveList of tickets in state "new"
  selected: new Set(), // waiting chats a supervisor has ticked
  chats: new Map(), // chat_id -> {summary, lastSeq, unread, pane, tab, ended}
  current: null,
  presence: new Map(),
  outbox: new Map(), // client_id -> {chat, text}, until acknowledged
  soundOn: readSetting("refdesk.sound") !== "off",
  arrivals: [],
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
  const waiting = state.queue.total;
  const unread = [...state.chats.values()].reduce((n, c) => n + c.unread, 0);
  const count = waiting + unread;
  document.title = count ? `(${count}) Console — refdesk` : "Console — refdesk";
}

// The first new chat is announced at once; those that follow it closely (a flood) are
// counted and announced together every two seconds while they come, with one sound each.
function notifyNewChat(chat) {
  if (state.arrivalsTimer) {
    state.arrivals.push(chat);
    return;
  }
  beep();
  announce(`New chat from ${displayName(chat)} at ${chat.campus_name}.`);
  if (document.hidden && "Notification" in window && Notification.permission === "granted") {
    const note = new Notification(`New chat: ${chat.campus_name}`, { body: displayName(chat), tag: `chat-${chat.id}` });
    note.onclick = () => window.focus();
  }
  state.arrivalsTimer = setTimeout(function flush() {
    const more = state.arrivals.length;
    state.arrivals = [];
    if (!more) {
      state.arrivalsTimer = null;
      return;
    }
    beep();
    announce(`${plural(more, "more new chat")}.`);
    state.arrivalsTimer = setTimeout(flush, ARRIVALS_MS);
  }, ARRIVALS_MS);
}

// --- the queue -------------------------------------------------------------

function isSupervisor() {
  return me.role === "supervisor" || me.role === "admin";
}

function queueItem(chat) {
  const claimed = chat.state !== "waiting";
  const name = displayName(chat);
  const who = el("button", {
    type: "button",
    class: "patron-name link-button",
    "aria-controls": "patron-panel",
    text: name,
    onclick: () => showPatron(state.queue.items.get(chat.id) || chat),
  });
  const select =
    isSupervisor() && !claimed
      ? el(
          "label",
          { class: "select" },
          el("input", {
            type: "checkbox",
            class: "select-chat",
            "aria-label": `Select chat with ${name}`,
            checked: state.selected.has(chat.id),
            onchange: (event) => toggleSelected(chat.id, event.currentTarget.checked),
          }),
          " Select"
        )
      : null;
  return el(
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
      select,
      claimed
        ? el("p", { class: "claimed-by", text: `Claimed by ${chat.claimed_by}` })
        : el("button", {
            type: "button",
            class: "button primary claim",
            "aria-label": `Claim Chat with ${name}`,
            text: "Claim Chat",
            onclick: (event) => claim(chat.id, event.currentTarget),
          })
    )
  );
}

// What a queue row shows; a change of any of it redraws the row.
function queueRowChanged(before, after) {
  const shown = (c) => [c.state, c.claimed_by, c.patron_name, c.question, c.name_was_question, c.campus].join("\u0000");
  return shown(before) !== shown(after);
}

function focusableInRow(node) {
  return node.querySelector(".claim:not(:disabled)") || node.querySelector(".patron-name");
}

function renderQueue() {
  state.queue.render();
  updateTitle();
}

function tickWaits() {
  const now = Date.now();
  for (const node of document.querySelectorAll(".wait[data-since]")) {
    node.textContent = formatWait((now - Date.parse(node.dataset.since)) / 1000);
  }
}

function markClaimed(chatId, by, byId, summary = null) {
  const chat = state.queue.items.get(chatId);
  if (!chat || chat.state !== "waiting") return;
  const { messages: _messages, ...fields } = summary || {};
  const claimed = { ...chat, ...fields, state: "active", claimed_by: by, claimed_by_id: byId };
  claimed.claimed_ms = claimed.claimed_at ? Date.parse(claimed.claimed_at) : Date.now();
  unselect(chatId);
  state.queue.put(claimed);
  renderQueue();
  setTimeout(() => {
    const current = state.queue.items.get(chatId);
    if (current && current.state !== "waiting") {
      state.queue.remove(chatId);
      renderQueue();
    }
  }, CLAIMED_LINGER_MS);
}

function dropFromQueue(chatId) {
  unselect(chatId);
  state.queue.remove(chatId);
  renderQueue();
}

async function claim(chatId, button) {
  button.disabled = true;
  const activeBefore = [...state.chats.values()].filter((c) => !c.ended).length;
  try {
    const ack = await state.socket.request({ type: "chat.claim", chat_id: chatId });
    markClaimed(chatId, me.name, me.id, ack.chat);
    openChat(ack.chat, { focus: true, prefill: true });
    if (activeBefore > 0) {
      showReminder(`You already have ${activeBefore} active chat${activeBefore > 1 ? "s" : ""}.`);
    }
  } catch (error) {
    if (error.code === "already_claimed") markClaimed(chatId, error.by, error.by_id);
    else if (error.code === "chat_ended") dropFromQueue(chatId);
    else button.disabled = false;
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

// --- dismissing spam (supervisors and admins) -------------------------------

function toggleSelected(chatId, on) {
  if (on) state.selected.add(chatId);
  else state.selected.delete(chatId);
  renderSelection();
}

function unselect(chatId) {
  if (state.selected.delete(chatId)) renderSelection();
}

function clearSelection() {
  state.selected.clear();
  for (const box of $("queue").querySelectorAll(".select-chat")) box.checked = false;
  renderSelection();
}

function selectShown() {
  for (const chat of state.queue.items.values()) {
    if (chat.state === "waiting" && state.queue.inView(chat)) state.selected.add(chat.id);
  }
  for (const box of $("queue").querySelectorAll(".select-chat")) {
    box.checked = state.selected.has(Number(box.closest(".queue-item").dataset.chatId));
  }
  renderSelection();
  announce(`${plural(state.selected.size, "chat")} selected.`);
}

function renderSelection() {
  const count = state.selected.size;
  const button = $("dismiss-selected");
  button.textContent = `Dismiss selected as spam (${count.toLocaleString()})`;
  button.disabled = count === 0 || state.dismissing;
  $("select-none").disabled = count === 0;
  if (count === 0) $("dismiss-confirm").hidden = true;
}

function renderQueueTools() {
  $("queue-tools").hidden = !isSupervisor();
  if (!isSupervisor()) state.selected.clear();
  renderSelection();
}

function askToDismiss() {
  const count = state.selected.size;
  if (!count) return;
  $("dismiss-question").textContent = `Dismiss ${plural(count, "waiting chat")} as spam? Each patron is told the chat has ended.`;
  $("dismiss-confirm-button").textContent = `Dismiss ${plural(count, "chat")}`;
  $("dismiss-confirm").hidden = false;
  $("dismiss-confirm-button").focus();
}

function cancelDismiss() {
  $("dismiss-confirm").hidden = true;
  $("dismiss-selected").focus();
}

async function dismissSelected() {
  const ids = [...state.selected];
  $("dismiss-confirm").hidden = true;
  state.dismissing = true;
  renderSelection();
  let dismissed = 0;
  let skipped = 0;
  try {
    for (let start = 0; start < ids.length; start += DISMISS_BATCH) {
      const ack = await state.socket.request({
        type: "chat.dismiss",
        chat_ids: ids.slice(start, start + DISMISS_BATCH),
        reason: "Dismissed as spam from the console",
      });
      for (const id of ack.dismissed) dropFromQueue(id);
      for (const id of ack.skipped) unselect(id);
      dismissed += ack.dismissed.length;
      skipped += ack.skipped.length;
    }
    const note = skipped ? ` ${plural(skipped, "chat")} had already been claimed or ended.` : "";
    announce(`${plural(dismissed, "chat")} dismissed.${note}`);
  } catch (error) {
    announce(error.message || "Could not dismiss the chats.");
  } finally {
    state.dismissing = false;
    renderSelection();
    $("select-shown").focus();
  }
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

// The list holds new tickets: one that leaves that state leaves the list and its count,
// whether or not its page is shown; one that comes back joins them.
function updateTicket(ticket, previous) {
  const wasNew = previous === "new";
  const isNew = ticket.state === "new";
  if (wasNew && !isNew) {
    state.tickets.remove(ticket.id);
    state.tickets.tally(ticket.campus, -1);
  } else if (isNew) {
    if (!wasNew) state.tickets.tally(ticket.campus, 1);
    state.tickets.put(ticket);
  }
  state.tickets.render();
}

// A live ticket is added to the list and counted; it never pushes an older one out.
function addTicket(ticket) {
  if (state.tickets.items.has(ticket.id)) return;
  state.tickets.put(ticket);
  state.tickets.tally(ticket.campus, 1);
  state.tickets.render();
  announce(`New ticket from ${ticket.name || ticket.email} at ${ticket.campus_name}.`);
}

state.queue = new LiveList({
  list: $("queue"),
  older: $("queue-older"),
  empty: $("queue-empty"),
  count: $("waiting-count"),
  order: age,
  build: queueItem,
  refresh: queueRowChanged,
  focusable: focusableInRow,
  idOf: (node) => Number(node.dataset.chatId),
  request: { type: "queue.list" },
  pageKey: "waiting",
  noun: "chat",
  shows: (chat) => chat.state === "waiting",
});

state.tickets = new LiveList({
  list: $("tickets"),
  older: $("tickets-older"),
  empty: $("tickets-empty"),
  count: $("tickets-count"),
  order: (a, b) => age(b, a),
  build: ticketItem,
  refresh: () => false,
  focusable: (node) => node.querySelector("a"),
  idOf: (node) => Number(node.dataset.ticketId),
  request: { type: "ticket.list", state: "new" },
  pageKey: "tickets",
  noun: "ticket",
  shows: () => true,
});

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
  state.countedThrough = frame.event_id;
  const roleChanged = frame.me.role !== me.role;
  me.role = frame.me.role;
  renderQueueTools();
  // The selection and the older pages fetched before belong to the old connection.
  clearSelection();
  state.queue.replaceWith(frame.waiting, frame.waiting_total, frame.waiting_by_campus);
  if (roleChanged) state.queue.redrawAll();
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
  state.tickets.replaceWith(frame.tickets, frame.tickets_total, frame.tickets_by_campus);
  state.queue.fill();
  state.tickets.fill();
}

// Count a chat into or out of the queue's totals, once: the snapshot counted every event
// up to its event_id.
function tallyQueue(frame, delta) {
  if (frame.event_id > state.countedThrough) state.queue.tally(frame.chat.campus, delta);
}

function onFrame(frame) {
  if (frame.event_id) state.lastEventId = Math.max(state.lastEventId, frame.event_id);
  switch (frame.type) {
    case "snapshot":
      applySnapshot(frame);
      break;
    case "chat.created":
      tallyQueue(frame, 1);
      if (!state.queue.items.has(frame.chat.id)) {
        state.queue.put(frame.chat);
        notifyNewChat(frame.chat);
      }
      renderQueue();
      break;
    case "chat.claimed":
      tallyQueue(frame, -1);
      markClaimed(frame.chat_id, frame.by, frame.by_id, frame.chat);
      renderQueue();
      if (frame.by_id === me.id && !state.chats.has(frame.chat_id)) {
        // Claimed from another tab or window of mine: show it here too.
        state.socket.request({ type: "chat.fetch", chat_id: frame.chat_id }).then((ack) => openChat(ack.chat)).catch(() => {});
      }
      break;
    case "chat.ended": {
      // A chat that was never claimed leaves the queue; one that was left it at its claim.
      if (!frame.chat.claimed_at) tallyQueue(frame, -1);
      dropFromQueue(frame.chat_id);
      const chat = state.chats.get(frame.chat_id);
      if (chat) markEnded(chat, frame.reason);
      break;
    }
    case "chat.updated":
      if (state.queue.items.has(frame.chat.id)) {
        state.queue.put(frame.chat);
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
    case "ticket.updated":
      updateTicket(frame.ticket, frame.previous_state);
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
  // A selection is of the chats shown: another campus's view starts with none.
  clearSelection();
  state.queue.redraw();
  state.tickets.redraw();
  updateTitle();
  state.queue.fill();
  state.tickets.fill();
});
$("select-shown").addEventListener("click", selectShown);
$("select-none").addEventListener("click", () => {
  clearSelection();
  announce("Selection cleared.");
});
$("dismiss-selected").addEventListener("click", askToDismiss);
$("dismiss-confirm-button").addEventListener("click", dismissSelected);
$("dismiss-cancel").addEventListener("click", cancelDismiss);
renderQueueTools();
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
  if (event.key !== "Escape") return;
  if (!$("dismiss-confirm").hidden) cancelDismiss();
  else if (!$("patron-panel").hidden) $("patron-panel").hidden = true;
});
setInterval(tickWaits, 1000);

// For tests: drop the connection to see the console resume.
// (and apply a frame as if the server had sent it).
window.refdeskConsole = { drop: () => state.socket.drop(), state, receive: onFrame };
