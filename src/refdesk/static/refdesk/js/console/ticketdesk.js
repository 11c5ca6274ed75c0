// The Tickets view's state, kept apart from the chats': which view the console shows, the
// filter of the ticket list, the tickets that filter holds, and the one ticket open.
//
// It lives beside the store (store.ticketdesk, its state also at store.state.ticketdesk)
// and changes only through these methods: the store's handlers call `arrived`, `changed`
// and `resync` for the frames of the staff socket, the ticket actions call the rest with
// the server's answers. Nothing here touches the page or the socket; when the server must
// be asked (a filter changed, a ticket open changed elsewhere), it says so on "needs".
//
// Topics and what their changes carry:
//   view        {view}                           "chats" or "tickets"
//   ticketdesk  {kind: "put", item, known}, {kind: "remove", id}, {kind: "reset"} (the
//               filter changed: the list starts again), {kind: "loading"}, {kind: "page",
//               added} (a page came), {kind: "error"}
//   ticket      {kind: "open" | "loaded" | "changed" | "busy" | "error" | "close", id}
//   needs       {what: "tickets"} (the filter's first page), {what: "ticket", id}

export const TICKET_STATES = ["new", "open", "pending", "closed"];

// Whitespace runs count as one, as on the server; case is ignored.
export function searchWords(q) {
  return (q || "").split(/\s+/u).filter(Boolean).join(" ");
}

// Newest first, by created_at and then id: the server's order.
function newerFirst(a, b) {
  return b.created_at.localeCompare(a.created_at) || b.id - a.id;
}

// The summary fields only: a ticket with its thread keeps the thread in `open`, never in
// the list.
function summaryOf(ticket) {
  const { thread: _thread, transcript: _transcript, ...summary } = ticket;
  return summary;
}

export class TicketDesk {
  constructor(store) {
    this.store = store;
    this.state = {
      view: "chats",
      // owner: "" (anyone), "me" or "none" (nobody yet); q: the search words.
      filter: { campus: "", state: "new", owner: "", q: "" },
      // Bumped by every change of filter: an answer to an older filter is dropped.
      generation: 0,
      items: new Map(), // id -> ticket summary: what the filter shows, as far as fetched
      cursor: null, // the oldest ticket of the filter's pages: the next page's `before`
      more: false, // older tickets of the filter remain on the server
      loading: false,
      loaded: false, // the filter's first page came
      error: "",
      // The ticket open in its own view: {id, ticket (a summary until its thread comes,
      // then the ticket with its thread), full, loading, error, errors: {action: text},
      // busy: {action: bool}, replyClientId}; null when none is.
      open: null,
    };
  }

  get me() {
    return this.store.state.me;
  }

  emit(kind, change = {}) {
    this.store.emit("ticketdesk", { kind, ...change });
  }

  emitTicket(kind, change = {}) {
    this.store.emit("ticket", { kind, id: this.state.open?.id ?? change.id ?? null, ...change });
  }

  // A librarian's own campus's new tickets come first, then every other ticket, newest
  // first within each.
  order = (a, b) => this.rank(a) - this.rank(b) || newerFirst(a, b);

  rank(ticket) {
    return ticket.state === "new" && ticket.campus === this.me.campus ? 0 : 1;
  }

  ownerId() {
    const { owner } = this.state.filter;
    if (owner === "me") return this.me.id;
    return owner === "none" ? "none" : null;
  }

  // Whether the filter shows the ticket. The search words are looked for in what a summary
  // carries (question, name, email); the server also searches the thread, so a ticket the
  // list already holds keeps its place as long as the other filters still take it.
  matches(ticket, { held = false } = {}) {
    const { campus, state, owner, q } = this.state.filter;
    if (state !== "all" && ticket.state !== state) return false;
    if (campus && ticket.campus !== campus) return false;
    if (owner === "me" && ticket.owner_id !== this.me.id) return false;
    if (owner === "none" && ticket.owner_id != null) return false;
    const words = searchWords(q).toLowerCase();
    if (!words || held) return true;
    return [ticket.question, ticket.name, ticket.email].some((text) => (text || "").toLowerCase().includes(words));
  }

  // --- the view ----------------------------------------------------------------

  showView(view) {
    if (view !== "chats" && view !== "tickets") return;
    const { state } = this;
    if (state.view !== view) {
      state.view = view;
      this.store.emit("view", { view });
    }
    if (view === "tickets" && !state.loaded && !state.loading) this.store.emit("needs", { what: "tickets" });
  }

  // --- the list ----------------------------------------------------------------

  setFilter(changes) {
    const { state } = this;
    const filter = { ...state.filter, ...changes };
    filter.q = searchWords(filter.q);
    if (!["all", ...TICKET_STATES].includes(filter.state)) filter.state = "new";
    if (!["", "me", "none"].includes(filter.owner)) filter.owner = "";
    const same = Object.keys(filter).every((key) => filter[key] === state.filter[key]);
    if (same && (state.loaded || state.loading)) return false;
    state.filter = filter;
    state.generation += 1;
    state.items.clear();
    state.cursor = null;
    state.more = false;
    state.loaded = false;
    state.loading = false;
    state.error = "";
    this.emit("reset");
    this.store.emit("needs", { what: "tickets" });
    return true;
  }

  // A request for the filter's pages goes out: the generation its answer must carry.
  startLoading() {
    this.state.loading = true;
    this.state.error = "";
    this.emit("loading");
    return this.state.generation;
  }

  // A page of the filter came. The first page (older: false) replaces what the list held
  // (after a reconnect, tickets that left meanwhile go); `extra` are tickets of the same
  // filter fetched beside it (the librarian's own campus first), which move no cursor.
  // Returns the tickets it added, or null for an answer to an older filter.
  pageLoaded(generation, { tickets, more, extra = [], older = false }) {
    const { state } = this;
    if (generation !== state.generation) return null;
    const page = [...tickets, ...extra];
    if (!older) {
      const fresh = new Set(page.map((ticket) => ticket.id));
      for (const id of [...state.items.keys()]) if (!fresh.has(id)) this.remove(id);
    }
    const added = [];
    for (const ticket of page) {
      if (!state.items.has(ticket.id)) added.push(ticket);
      this.put(ticket);
    }
    const oldest = tickets.length ? tickets.reduce((a, b) => (newerFirst(a, b) > 0 ? a : b)) : null;
    if (oldest) state.cursor = { id: oldest.id, created_at: oldest.created_at };
    state.more = Boolean(more);
    state.loaded = true;
    state.loading = false;
    this.emit("page", { added });
    return added;
  }

  pageFailed(generation, message) {
    const { state } = this;
    if (generation !== state.generation) return;
    state.loading = false;
    state.error = message;
    this.emit("error");
  }

  put(ticket) {
    const item = summaryOf(ticket);
    const known = this.state.items.get(item.id);
    this.state.items.set(item.id, item);
    this.emit("put", { item, known });
  }

  remove(id) {
    if (this.state.items.delete(id)) this.emit("remove", { id });
  }

  // Where a ticket as it is now belongs: in the list, or out of it.
  place(ticket) {
    const held = this.state.items.has(ticket.id);
    if (this.matches(ticket, { held })) {
      if (held || this.state.loaded) this.put(ticket);
    } else {
      this.remove(ticket.id);
    }
  }

  // ticket.created: a new ticket joins the list when the filter shows it. (The store
  // announces it; the list does not again.)
  arrived(ticket) {
    if (!this.state.items.has(ticket.id)) this.place(ticket);
  }

  // ticket.updated: the ticket moves into or out of the filter; the open one is fetched
  // again, since the event never carries the thread.
  changed(ticket) {
    this.place(ticket);
    const { open } = this.state;
    if (open && open.id === ticket.id) {
      open.ticket = { ...open.ticket, ...summaryOf(ticket) };
      this.emitTicket("changed");
      this.store.emit("needs", { what: "ticket", id: ticket.id });
    }
  }

  // A new connection (a snapshot): what the list and the open ticket show is fetched
  // again, since events of the time between were not kept.
  resync() {
    const { state } = this;
    if (state.loaded || state.loading || state.view === "tickets") {
      state.generation += 1;
      state.loading = false;
      this.store.emit("needs", { what: "tickets" });
    }
    if (state.open) this.store.emit("needs", { what: "ticket", id: state.open.id });
  }

  // --- the open ticket ------------------------------------------------------------

  openTicket(id) {
    const { state } = this;
    const held = state.items.get(id);
    state.open = { id, ticket: held || null, full: false, loading: true, error: "", errors: {}, busy: {}, replyClientId: "" };
    this.emitTicket("open");
    this.store.emit("needs", { what: "ticket", id });
  }

  closeTicket() {
    const { open } = this.state;
    if (!open) return;
    this.state.open = null;
    this.emitTicket("close", { id: open.id });
  }

  // The ticket with its thread, from ticket.fetch or an action's answer.
  ticketLoaded(ticket) {
    const { open } = this.state;
    this.place(ticket);
    if (!open || open.id !== ticket.id) return;
    open.ticket = ticket;
    open.full = true;
    open.loading = false;
    open.error = "";
    this.emitTicket("loaded");
  }

  ticketFailed(id, message) {
    const { open } = this.state;
    if (!open || open.id !== id) return;
    open.loading = false;
    open.error = message;
    this.emitTicket("error", { action: "" });
  }

  setBusy(action, busy) {
    const { open } = this.state;
    if (!open) return;
    open.busy[action] = busy;
    this.emitTicket("busy", { action });
  }

  // An action's error, in words, for the control that made it ("" clears it).
  setError(action, message) {
    const { open } = this.state;
    if (!open) return;
    open.errors[action] = message;
    this.emitTicket("error", { action });
  }

  // already_claimed: someone else has the ticket; it shows who until the fetch comes.
  claimedBy(id, by, byId) {
    const { open } = this.state;
    const item = this.state.items.get(id);
    if (item) this.place({ ...item, owner: by, owner_id: byId });
    if (open && open.id === id && open.ticket) {
      open.ticket = { ...open.ticket, owner: by, owner_id: byId };
      this.emitTicket("changed");
    }
    this.store.emit("needs", { what: "ticket", id });
  }
}
