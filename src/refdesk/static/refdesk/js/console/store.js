// The console's state, and the one place it changes.
//
// Every frame of the staff socket goes through `receive`, which applies it with its
// handler in `handlers`, one per type the server sends. What the librarian does (open a
// tab, select chats, send a line) goes through the store's methods. Each change is told to
// the subscribers of its topic, and the views draw it from `store.state`. Nothing here
// touches the page or the socket: when a frame calls for a request (a chat of mine claimed
// in another window), the store says so on "needs", and the actions ask the server.
//
// Topics and what their changes carry:
//   me          {roleChanged}                     the librarian's role (from the snapshot)
//   connection  {}                                state.connection
//   settings    {key}                             "sound" or "filter"
//   filter      {}                                the campus filter changed: lists redraw
//   queue,      {kind: "put", item, known}, {kind: "remove", id}, {kind: "counts"},
//   tickets     {kind: "reset"} (a snapshot's page) or {kind: "loading"}
//   selection   {kind: "changed" | "confirm" | "cancel" | "dismissing" | "dismissed"}
//   chats       {kind, id, …}: open {draft}, message {message, history, arrived}, pending
//               {entry}, unsent {entry}, error, typing, select {focus}, confirm, ended,
//               reopened (a chat that was transferred away came back), close,
//               renamed {before}: the summary changed (chat.updated); before is the old one
//   presence    {}
//   patrons     {id}                              a patron closed their last tab, or came back
//   patron      {refresh}                         state.patron: the summary to show, or null;
//                                                 refresh: the same chat's details changed
//   arrival     {chat}                            a new chat joined the queue
//   say         {text}                            a sentence for the live region
//   remind      {text}                            a reminder shown for a while
//   needs       {what: "chat", id}                the server has a chat this console lacks
//   offers      {kind: "add" | "remove", id}      transfers offered to me (state.offers)
//   transfer    {id}                              a chat of mine: its transfer offer changed
//   snippets    {}                                state.snippets (or the campuses) changed
//   view, ticketdesk, ticket                      the Tickets view's: see console/ticketdesk.js
//   timers      {id, alert}                       a chat of mine: an alert (dead air, silent patron)
//   directory   {}                                state.directory (contacts and courses) changed
//   safety      {kind: "flagged", id, seq, flag} | {kind: "guidance"}
//                                                 a patron's line was flagged (abuse, threat,
//                                                 crisis), or the panels' guidance changed
//   notes       {id}                              state.notes of chat id changed
//   supervisor  {alert}                           a librarian calls for a supervisor
//   watched     {id}                              state.watched of chat id changed

import { PagedList, age } from "./lists.js";
import { TicketDesk } from "./ticketdesk.js";
import { applyAlert, moveTimers } from "./timers.js";
import { displayName, endNote, graverFlag, greeting, plural } from "./words.js";
import { openingLine } from "./snippetrules.js";

// A claimed chat stays in the queue, marked with who has it, for this long.
const CLAIMED_LINGER_MS = 30000;
// The alert kinds of a flagged patron line.
const FLAGS = new Set(["abuse", "threat", "crisis"]);
// A lost "stopped typing" must not leave the line up for ever.
const TYPING_SHOWN_MS = 8000;

export class Store {
  constructor({ me, settings = {} }) {
    this.state = {
      me: { ...me }, // {id, name, campus, role}
      connection: "connecting",
      lastEventId: 0, // the resume cursor
      // Events up to the snapshot's event_id are in its counts; later ones move them.
      countedThrough: 0,
      // Waiting chats (and, for a while, ones just claimed), and tickets in state "new".
      queue: new PagedList({ order: age, shows: (chat) => chat.state === "waiting" }),
      tickets: new PagedList({ order: (a, b) => age(b, a), shows: () => true }),
      selected: new Set(), // waiting chats a supervisor has ticked
      confirmingDismiss: false,
      dismissing: false,
      // chat id -> {id, summary, messages, lastSeq, unread, ended, endReason, typing,
      // confirmingEnd, error}, in the order the tabs opened
      chats: new Map(),
      current: null, // the chat whose tab is selected
      presence: new Map(), // librarian id -> presence entry
      outbox: new Map(), // client id -> {chatId, clientId, text}, until acknowledged
      patron: null, // the chat summary the patron panel shows
      offers: new Map(), // chat id -> a chat.transfer.offered frame: transfers offered to me
      pageHidden: false,
      // The server's clock minus this one's, in ms (from the snapshot's server_time): the
      // countdowns to server times use store.now().
      clockOffset: 0,
      settings: { sound: true, filter: "", ...settings },
      // Snippets (snapshot.snippets, the "snippets" event), and each campus's name and
      // today's hours for their placeholders (snapshot.snippet_campuses).
      snippets: [],
      snippetCampuses: {},
      campusFacts: new Map(), // campus slug -> its facts (campus.facts)
      interviewQuestions: [], // the reference-interview card's questions
      // The directory: active contacts and courses (snapshot.directory, directory.changed).
      directory: { contacts: [], courses: [] },
      // The safety panels' guidance (snapshot.safety, safety.changed), and each chat's
      // flagged lines: chat id -> Map(seq -> "abuse" | "threat" | "crisis").
      safetyGuidance: { escalation: [], crisis: [] },
      flags: new Map(),
    };
    this.listeners = new Map();
    this.typingTimers = new Map();
    // The Tickets view's part: its own state and topics (console/ticketdesk.js).
    this.ticketdesk = new TicketDesk(this);
    this.state.ticketdesk = this.ticketdesk.state;
  }

  subscribe(topic, listener) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic).add(listener);
    return () => this.listeners.get(topic).delete(listener);
  }

  emit(topic, change = {}) {
    for (const listener of this.listeners.get(topic) || []) listener(change);
  }

  // Apply one frame from the server (or, in tests, one made up).
  receive(frame) {
    if (frame.event_id) this.state.lastEventId = Math.max(this.state.lastEventId, frame.event_id);
    if (Object.hasOwn(handlers, frame.type)) handlers[frame.type](this, frame);
  }

  say(text) {
    this.emit("say", { text });
  }

  remind(text) {
    this.emit("remind", { text });
  }

  setConnection(status) {
    this.state.connection = status;
    this.emit("connection");
  }

  setSound(on) {
    this.state.settings.sound = on;
    this.emit("settings", { key: "sound" });
  }

  setFilter(view) {
    this.state.settings.filter = view;
    this.emit("settings", { key: "filter" });
    // A selection is of the chats shown: another campus's view starts with none.
    this.clearSelection();
    this.emit("filter");
  }

  // --- snippets --------------------------------------------------------------

  // The line a chat of mine starts with: the first suggestion's snippet, else the greeting.
  openingLine(chat) {
    const { state } = this;
    return openingLine(state.snippets, chat, state.me, state.snippetCampuses, greeting(chat, state.me));
  }

  setDirectory(directory) {
    this.state.directory = { contacts: directory?.contacts || [], courses: directory?.courses || [] };
    this.emit("directory");
  }

  setSnippets(snippets, campuses = null) {
    this.state.snippets = snippets || [];
    if (campuses) this.state.snippetCampuses = campuses;
    this.emit("snippets");
  }

  // --- the server's clock -----------------------------------------------------

  setServerTime(serverTime) {
    const at = Date.parse(serverTime);
    if (!Number.isNaN(at)) this.state.clockOffset = at - Date.now();
  }

  // Now, on the server's clock.
  now() {
    return Date.now() + this.state.clockOffset;
  }

  setPageHidden(hidden) {
    this.state.pageHidden = hidden;
  }

  setRole(role) {
    const roleChanged = role !== this.state.me.role;
    this.state.me.role = role;
    this.emit("me", { roleChanged });
  }

  isSupervisor() {
    return this.state.me.role === "supervisor" || this.state.me.role === "admin";
  }

  // --- the queue and the tickets ("queue" or "tickets") ---------------------

  put(name, item) {
    const list = this.state[name];
    const known = list.items.get(item.id);
    list.items.set(item.id, item);
    this.emit(name, { kind: "put", item, known });
  }

  remove(name, id) {
    if (this.state[name].items.delete(id)) this.emit(name, { kind: "remove", id });
  }

  counted(name) {
    this.emit(name, { kind: "counts" });
  }

  // A snapshot: its page replaces what the list held; items still in it stay.
  replace(name, page, total, byCampus) {
    const list = this.state[name];
    const fresh = new Set(page.map((item) => item.id));
    for (const id of [...list.items.keys()]) if (!fresh.has(id)) this.remove(name, id);
    for (const item of page) this.put(name, item);
    list.reset(page, total, byCampus);
    this.emit(name, { kind: "reset" });
  }

  // An older page of the view: the items not held yet join the list; returns them.
  addPage(name, view, page, more) {
    const list = this.state[name];
    const added = page.filter((item) => !list.items.has(item.id));
    for (const item of added) this.put(name, item);
    list.paged(view, page, more);
    this.counted(name);
    return added;
  }

  setLoading(name, loading) {
    this.state[name].loading = loading;
    this.emit(name, { kind: "loading" });
  }

  // Count a chat into or out of the queue's totals, once: the snapshot counted every event
  // up to its event_id.
  tallyQueue(frame, delta) {
    if (frame.event_id > this.state.countedThrough) this.state.queue.tally(frame.chat.campus, delta);
  }

  markClaimed(chatId, by, byId, summary = null) {
    const chat = this.state.queue.items.get(chatId);
    if (!chat || chat.state !== "waiting") return;
    const { messages: _messages, ...fields } = summary || {};
    const claimed = { ...chat, ...fields, state: "active", claimed_by: by, claimed_by_id: byId };
    claimed.claimed_ms = claimed.claimed_at ? Date.parse(claimed.claimed_at) : Date.now();
    this.unselect(chatId);
    this.put("queue", claimed);
    this.counted("queue");
    setTimeout(() => {
      const current = this.state.queue.items.get(chatId);
      if (current && current.state !== "waiting") {
        this.remove("queue", chatId);
        this.counted("queue");
      }
    }, CLAIMED_LINGER_MS);
  }

  dropFromQueue(chatId) {
    this.unselect(chatId);
    this.remove("queue", chatId);
    this.counted("queue");
  }

  // The list holds new tickets: one that leaves that state leaves the list and its count,
  // whether or not its page is shown; one that comes back joins them.
  updateTicket(ticket, previous) {
    const wasNew = previous === "new";
    const isNew = ticket.state === "new";
    if (wasNew && !isNew) {
      this.remove("tickets", ticket.id);
      this.state.tickets.tally(ticket.campus, -1);
    } else if (isNew) {
      if (!wasNew) this.state.tickets.tally(ticket.campus, 1);
      this.put("tickets", ticket);
    }
    this.counted("tickets");
  }

  // A live ticket is added to the list and counted; it never pushes an older one out.
  addTicket(ticket) {
    if (this.state.tickets.items.has(ticket.id)) return;
    this.put("tickets", ticket);
    this.state.tickets.tally(ticket.campus, 1);
    this.counted("tickets");
    this.say(`New ticket from ${ticket.name || ticket.email} at ${ticket.campus_name}.`);
  }

  // --- selecting chats to dismiss (supervisors and admins) -------------------

  selectionChanged(kind = "changed") {
    if (this.state.selected.size === 0) this.state.confirmingDismiss = false;
    this.emit("selection", { kind });
  }

  toggleSelected(chatId, on) {
    if (on) this.state.selected.add(chatId);
    else this.state.selected.delete(chatId);
    this.selectionChanged();
  }

  unselect(chatId) {
    if (this.state.selected.delete(chatId)) this.selectionChanged();
  }

  clearSelection() {
    this.state.selected.clear();
    this.selectionChanged();
  }

  // Every waiting chat the campus filter shows.
  selectShown() {
    const { queue, selected, settings } = this.state;
    for (const chat of queue.items.values()) {
      if (chat.state === "waiting" && queue.inView(chat, settings.filter)) selected.add(chat.id);
    }
    this.selectionChanged();
    this.say(`${plural(selected.size, "chat")} selected.`);
  }

  askToDismiss() {
    if (!this.state.selected.size) return;
    this.state.confirmingDismiss = true;
    this.selectionChanged("confirm");
  }

  cancelDismiss() {
    this.state.confirmingDismiss = false;
    this.selectionChanged("cancel");
  }

  setDismissing(on) {
    this.state.dismissing = on;
    if (on) this.state.confirmingDismiss = false;
    this.selectionChanged(on ? "dismissing" : "dismissed");
  }

  // --- my chats --------------------------------------------------------------

  // A chat of mine: a new tab, or news for the one open. `prefill` puts the opening line in the
  // composer; `focus` selects the tab and takes the keyboard there.
  openChat(summary, { focus = false, prefill = false } = {}) {
    const { state } = this;
    const { messages = [], ...fields } = summary;
    let chat = state.chats.get(summary.id);
    const isNew = !chat;
    if (isNew) {
      chat = {
        id: summary.id,
        summary: fields,
        messages: [],
        lastSeq: 0,
        unread: 0,
        ended: false,
        endReason: null,
        typing: false,
        confirmingEnd: false,
        error: "",
      };
      state.chats.set(chat.id, chat);
      this.emit("chats", { kind: "open", id: chat.id, draft: prefill ? this.openingLine(fields) : "" });
    } else {
      chat.summary = { ...chat.summary, ...fields };
      // A chat that left me (transferred) and came back: its tab works again.
      if (chat.ended && fields.state === "active" && fields.claimed_by_id === state.me.id) {
        chat.ended = false;
        chat.endReason = null;
        chat.transferNote = "";
        this.emit("chats", { kind: "reopened", id: chat.id });
      }
    }
    for (const message of messages) this.addMessage(chat.id, message, { history: isNew });
    if (fields.state === "ended") this.markEnded(chat.id, fields.end_reason);
    if (focus || state.current === null) this.selectChat(chat.id, { focus });
    // Its flagged lines (staff get each line's flag): marked. A chat I just took (claimed,
    // accepted, taken over) that had one flagged while it waited opens its panel as a
    // fresh flag would.
    const flagged = messages.filter((message) => message.flag);
    for (const line of flagged) this.flagLine(chat.id, line.seq, line.flag);
    if (isNew && focus && !chat.ended && flagged.length) {
      const newest = flagged[flagged.length - 1];
      this.emit("safety", { kind: "flagged", id: chat.id, seq: newest.seq, flag: newest.flag, fresh: true });
    }
    return chat;
  }

  selectChat(chatId, { focus = false } = {}) {
    const chat = this.state.chats.get(chatId);
    if (!chat) return;
    this.state.current = chatId;
    chat.unread = 0;
    this.emit("chats", { kind: "select", id: chatId, focus });
  }

  // A stored line: shown once, however often it comes (by seq).
  // Internal notes by chat id, each once (the holder's own note comes back as an event).
  addNotes(notes) {
    const { state } = this;
    state.notes ||= new Map();
    const changed = new Set();
    for (const note of notes) {
      const list = state.notes.get(note.chat_id) || [];
      if (list.some((known) => known.id === note.id)) continue;
      list.push(note);
      state.notes.set(note.chat_id, list);
      changed.add(note.chat_id);
    }
    for (const id of changed) this.emit("notes", { id });
  }

  addMessage(chatId, message, { history = false } = {}) {
    const { state } = this;
    const chat = state.chats.get(chatId);
    if (!chat || message.seq <= chat.lastSeq) return;
    chat.lastSeq = message.seq;
    chat.messages.push(message);
    // The timers of an active chat (console/timers.js); a new tab's summary already has them.
    if (!history) moveTimers(chat.summary, message);
    let arrived = false;
    if (message.sender === "patron") {
      chat.typing = false;
      if (!history && (state.current !== chatId || state.pageHidden)) {
        chat.unread += 1;
        arrived = true;
      }
    }
    this.emit("chats", { kind: "message", id: chatId, message, history, arrived });
  }

  // A line the librarian sent, waiting for its ack.
  enqueue(chatId, clientId, text) {
    const entry = { chatId, clientId, text };
    this.state.outbox.set(clientId, entry);
    this.emit("chats", { kind: "pending", id: chatId, entry });
    return entry;
  }

  delivered(clientId, message) {
    this.state.outbox.delete(clientId);
    const chat = this.state.chats.get(message.chat_id);
    if (chat && chat.error) {
      chat.error = "";
      this.emit("chats", { kind: "error", id: chat.id });
    }
    this.addMessage(message.chat_id, message);
  }

  // The server refused the line: it leaves the outbox, and the view gives the text back.
  undelivered(clientId, reason) {
    const entry = this.state.outbox.get(clientId);
    if (!entry) return;
    this.state.outbox.delete(clientId);
    const chat = this.state.chats.get(entry.chatId);
    if (chat) chat.error = reason;
    this.emit("chats", { kind: "unsent", id: entry.chatId, entry });
  }

  showTyping(chatId, active) {
    const chat = this.state.chats.get(chatId);
    if (!chat || chat.ended) return;
    chat.typing = active;
    clearTimeout(this.typingTimers.get(chatId));
    if (active) {
      this.typingTimers.set(
        chatId,
        setTimeout(() => {
          chat.typing = false;
          this.emit("chats", { kind: "typing", id: chatId });
        }, TYPING_SHOWN_MS)
      );
    }
    this.emit("chats", { kind: "typing", id: chatId });
  }

  confirmEnd(chatId, show) {
    const chat = this.state.chats.get(chatId);
    if (!chat) return;
    chat.confirmingEnd = show;
    this.emit("chats", { kind: "confirm", id: chatId });
  }

  markEnded(chatId, reason) {
    const chat = this.state.chats.get(chatId);
    if (!chat || chat.ended) return;
    chat.ended = true;
    chat.endReason = reason;
    chat.summary.state = "ended";
    chat.confirmingEnd = false;
    chat.typing = false;
    this.emit("chats", { kind: "ended", id: chatId });
    this.say(`Chat with ${displayName(chat.summary)}: ${endNote(reason)}`);
  }

  closeChat(chatId) {
    const { state } = this;
    if (!state.chats.delete(chatId)) return;
    state.current = null;
    this.emit("chats", { kind: "close", id: chatId });
    const next = state.chats.keys().next();
    if (!next.done) this.selectChat(next.value);
  }

  // --- the patron's connection ---------------------------------------------

  // `goneSince`: when the chat's patron closed their last socket, or null when here.
  patronConnection(chatId, goneSince) {
    const item = this.state.queue.items.get(chatId);
    if (item) this.state.queue.items.set(chatId, { ...item, patron_gone_at: goneSince });
    const chat = this.state.chats.get(chatId);
    if (chat) chat.summary.patron_gone_at = goneSince;
    if (item || chat) this.emit("patrons", { id: chatId });
  }

  // --- transfers ----------------------------------------------------------------

  addOffer(offer) {
    const known = this.state.offers.has(offer.chat_id);
    this.state.offers.set(offer.chat_id, offer);
    this.emit("offers", { kind: "add", id: offer.chat_id });
    if (!known) {
      this.say(`${offer.from} offers you a chat with ${displayName(offer.chat)}. Accept or decline it.`);
    }
  }

  dropOffer(chatId) {
    if (this.state.offers.delete(chatId)) this.emit("offers", { kind: "remove", id: chatId });
  }

  // A chat of mine whose summary changed (an offer made, answered or lapsed).
  updateMine(summary, note = "") {
    const chat = this.state.chats.get(summary.id);
    if (!chat) return;
    const { messages: _messages, ...fields } = summary;
    chat.summary = { ...chat.summary, ...fields };
    chat.transferNote = note;
    this.emit("transfer", { id: summary.id });
    if (note) this.say(note);
  }

  // A chat of mine went to someone else, or back to a queue: its tab stays, read-only.
  transferredAway(chatId, note) {
    const chat = this.state.chats.get(chatId);
    if (!chat || chat.ended) return;
    chat.ended = true;
    chat.endReason = "transferred";
    chat.transferNote = note;
    chat.summary.state = "transferred";
    chat.confirmingEnd = false;
    chat.typing = false;
    this.emit("chats", { kind: "ended", id: chatId });
    this.say(`Chat with ${displayName(chat.summary)}: ${note}`);
  }

  // --- the timers of an active chat (console/timers.js) -----------------------

  timerAlert(frame) {
    const chat = this.state.chats.get(frame.chat_id);
    if (!chat || chat.ended) return;
    applyAlert(chat.summary, frame, this.now());
    this.emit("timers", { id: chat.id, alert: frame });
  }

  // --- flagged lines (console/views/safety.js) -----------------------------------

  // A patron's line was flagged: by an alert, or in the stored lines of a chat.
  flagLine(chatId, seq, flag, { fresh = false } = {}) {
    if (!this.state.flags.has(chatId)) this.state.flags.set(chatId, new Map());
    const lines = this.state.flags.get(chatId);
    if (lines.has(seq) && !fresh) return;
    lines.set(seq, flag);
    this.emit("safety", { kind: "flagged", id: chatId, seq, flag, fresh });
  }

  // A waiting chat's line was flagged: its queue row shows the gravest flag so far (the
  // server keeps the same in the chat's summary, for the next snapshot).
  flagQueued(chatId, kind) {
    const item = this.state.queue.items.get(chatId);
    if (!item || item.state !== "waiting") return;
    const flag = graverFlag(item.flag || "", kind);
    if (flag !== item.flag) this.put("queue", { ...item, flag });
  }

  // A chat that is not (or no longer) mine: its flagged lines are someone else's concern.
  forgetFlags(chatId) {
    if (!this.state.chats.has(chatId)) this.state.flags.delete(chatId);
  }

  setSafetyGuidance(guidance) {
    this.state.safetyGuidance = guidance || { escalation: [], crisis: [] };
    this.emit("safety", { kind: "guidance" });
  }

  // --- presence and the patron panel ----------------------------------------

  setPresence(entries) {
    for (const entry of entries) this.state.presence.set(entry.librarian_id, entry);
    this.emit("presence");
  }

  showPatron(summary) {
    this.state.patron = summary;
    this.emit("patron");
  }

  hidePatron() {
    this.state.patron = null;
    this.emit("patron");
  }

  // A chat's details changed (chat.updated): my tab for it and the patron panel follow.
  updateChat(summary) {
    const { state } = this;
    const { messages: _messages, ...fields } = summary;
    const chat = state.chats.get(summary.id);
    if (chat) {
      const before = chat.summary;
      chat.summary = { ...before, ...fields, state: chat.ended ? before.state : fields.state };
      this.emit("chats", { kind: "renamed", id: chat.id, before });
    }
    if (state.patron && state.patron.id === summary.id) {
      state.patron = { ...state.patron, ...fields };
      this.emit("patron", { refresh: true });
    }
  }
}

// One handler per frame type the staff socket receives (docs/protocol.md, "Staff socket:
// server → staff"). An `ack` never reaches them: socket.js settles each with its request.
export const handlers = {
  snapshot(store, frame) {
    const { state } = store;
    state.lastEventId = Math.max(state.lastEventId, frame.event_id);
    state.countedThrough = frame.event_id;
    store.setRole(frame.me.role);
    store.state.notes = new Map();
    store.addNotes(frame.notes || []);
    // A new connection watches nothing: the old one's groups went with it.
    if (store.state.watched?.size) {
      store.state.watched.clear();
      store.emit("watched", {});
    }
    store.setServerTime(frame.server_time);
    // The selection and the older pages fetched before belong to the old connection.
    store.clearSelection();
    store.replace("queue", frame.waiting, frame.waiting_total, frame.waiting_by_campus);
    const stillMine = new Set(frame.active.map((chat) => chat.id));
    for (const chat of frame.active) store.openChat(chat);
    for (const chat of frame.ended) store.openChat(chat);
    for (const [id, chat] of state.chats) {
      if (!stillMine.has(id) && !chat.ended) store.markEnded(id, "closed");
    }
    state.presence.clear();
    store.setPresence(frame.presence);
    store.replace("tickets", frame.tickets, frame.tickets_total, frame.tickets_by_campus);
    const offered = new Set(frame.transfer_offers.map((offer) => offer.chat_id));
    for (const id of [...state.offers.keys()]) if (!offered.has(id)) store.dropOffer(id);
    for (const offer of frame.transfer_offers) store.addOffer(offer);
    store.ticketdesk.resync();
    store.setSnippets(frame.snippets, frame.snippet_campuses);
    // The campus panel's facts and the reference-interview card.
    state.campusFacts = new Map((frame.campus_facts || []).map((facts) => [facts.campus, facts]));
    state.interviewQuestions = frame.interview_questions || [];
    store.emit("campus", {});
    store.setDirectory(frame.directory);
    // Each chat's flagged lines were marked as it opened (openChat), the guidance after.
    store.setSafetyGuidance(frame.safety?.guidance);
    store.setConnection("open");
  },

  "chat.created"(store, frame) {
    store.tallyQueue(frame, 1);
    if (!store.state.queue.items.has(frame.chat.id)) {
      store.put("queue", frame.chat);
      store.emit("arrival", { chat: frame.chat });
    }
    store.counted("queue");
  },

  "chat.claimed"(store, frame) {
    const { state } = store;
    store.tallyQueue(frame, -1);
    store.markClaimed(frame.chat_id, frame.by, frame.by_id, frame.chat);
    store.counted("queue");
    // Claimed from another tab or window of mine: show it here too.
    if (frame.by_id === state.me.id && !state.chats.has(frame.chat_id)) {
      store.emit("needs", { what: "chat", id: frame.chat_id });
    } else if (frame.by_id !== state.me.id) {
      store.forgetFlags(frame.chat_id);
    }
  },

  "chat.ended"(store, frame) {
    // A chat that was never claimed leaves the queue; one that was left it at its claim.
    if (!frame.chat.claimed_at) store.tallyQueue(frame, -1);
    store.dropFromQueue(frame.chat_id);
    store.markEnded(frame.chat_id, frame.reason);
    store.forgetFlags(frame.chat_id);
    // A watched chat that ends is watched no more (the server left its groups).
    if (store.state.watched?.delete(frame.chat_id)) store.emit("watched", { id: frame.chat_id });
  },

  // A chat's details changed (the patron's name or email, its home window closed, a
  // transfer offered): its queue row, my tab and the patron panel show the news.
  "chat.updated"(store, frame) {
    if (store.state.queue.items.has(frame.chat.id)) {
      store.put("queue", frame.chat);
      store.counted("queue");
    }
    // Mine first, while its summary still has the old name (the greeting follows it).
    store.updateChat(frame.chat);
    store.updateMine(frame.chat);
  },

  "chat.transfer.offered"(store, frame) {
    store.addOffer(frame);
  },

  "chat.transfer.declined"(store, frame) {
    const { state } = store;
    store.dropOffer(frame.chat_id);
    if (frame.by_id === state.me.id) return;
    const note =
      frame.reason === "expired"
        ? `${frame.by} did not answer in time; the chat stays with you.`
        : `${frame.by} declined the transfer; the chat stays with you.`;
    store.updateMine(frame.chat, note);
  },

  "chat.transferred"(store, frame) {
    const { state } = store;
    store.dropOffer(frame.chat_id);
    const mine = state.chats.get(frame.chat_id);
    if (frame.to_id === state.me.id) {
      // Accepted here or in another tab of mine: the chat is mine now.
      if (!mine || mine.ended) store.emit("needs", { what: "chat", id: frame.chat_id });
      else store.updateMine(frame.chat);
    } else if (mine && !mine.ended) {
      store.transferredAway(
        frame.chat_id,
        frame.to ? `Transferred to ${frame.to}.` : `Back in the ${frame.chat.campus_name} queue.`
      );
    }
    if (frame.to_id === null) {
      // Back to waiting: it joins the queue as a new chat would, and rings.
      store.tallyQueue(frame, 1);
      store.put("queue", frame.chat);
      store.emit("arrival", { chat: frame.chat });
      store.counted("queue");
    }
  },

  message(store, frame) {
    const watched = store.state.watched?.get(frame.chat_id);
    if (watched) {
      if (frame.seq > watched.lastSeq) {
        watched.lastSeq = frame.seq;
        watched.messages.push(frame);
        store.emit("watched", { id: frame.chat_id, message: frame });
      }
      return;
    }
    store.addMessage(frame.chat_id, frame);
  },

  // Internal notes: staff only (console/supervise.js draws them).
  note(store, frame) {
    store.addNotes([frame]);
  },

  typing(store, frame) {
    store.showTyping(frame.chat_id, frame.active);
  },

  presence(store, frame) {
    store.setPresence([frame]);
  },

  // Dead air and silent patrons (console/views/timers.js draws them); a flagged line
  // (console/views/safety.js opens its panel); a librarian's call for a supervisor
  // (console/supervise.js).
  alert(store, frame) {
    if (FLAGS.has(frame.kind)) {
      store.flagQueued(frame.chat_id, frame.kind);
      store.flagLine(frame.chat_id, frame.seq, frame.kind, { fresh: true });
    }
    else if (frame.kind === "supervisor") store.emit("supervisor", { alert: frame });
    else store.timerAlert(frame);
  },

  "safety.changed"(store, frame) {
    store.setSafetyGuidance(frame.guidance);
  },

  "patron.connection"(store, frame) {
    store.patronConnection(frame.chat_id, frame.gone_since);
  },

  "ticket.created"(store, frame) {
    store.addTicket(frame.ticket);
    store.ticketdesk.arrived(frame.ticket);
  },

  "ticket.updated"(store, frame) {
    store.updateTicket(frame.ticket, frame.previous_state);
    store.ticketdesk.changed(frame.ticket);
  },

  // Snippets: mine changed (every one I may use), or the shared ones did (from the admin:
  // mine stay, the rest are replaced).
  snippets(store, frame) {
    store.setSnippets(frame.snippets);
  },

  "snippets.changed"(store, frame) {
    store.setSnippets([...store.state.snippets.filter((s) => s.mine), ...frame.snippets]);
  },

  // --- safety (only supervisors' consoles get these) ---
  "incident.created"(store, frame) {
    store.state.incidents = [frame.incident, ...(store.state.incidents || [])].slice(0, 50);
    store.emit("incident", { incident: frame.incident });
  },

  // --- campus facts (the campus panel beside each chat) ---
  "campus.facts"(store, frame) {
    store.state.campusFacts.set(frame.facts.campus, frame.facts);
    store.emit("campus", { campus: frame.facts.campus });
  },

  // --- the directory (its search, the campus panel, the crisis panel) ---
  "directory.changed"(store, frame) {
    store.setDirectory(frame);
  },

  // Errors that answer a request go to it; these answer notifications (typing) or come
  // before a close: say them, do not hide them.
  error(store, frame) {
    if (frame.code === "unauthenticated") store.say("Your session has ended. Log in again.");
    else if (frame.code !== "rate_limited") store.say(frame.message || "Something went wrong.");
  },
};
