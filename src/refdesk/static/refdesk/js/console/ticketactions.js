// What the Tickets view does that needs the server: the filter's pages, a ticket and its
// thread, and the ticket actions (claim, assign, move, reply, note, pending, closed). Each
// sends its frame and hands the answer to the store's ticket desk (console/ticketdesk.js);
// an action's error goes, in words, to the control that made it. Nothing here touches the
// page.

import { newClientId } from "../socket.js";

export function createTicketActions(store, socket) {
  const desk = store.ticketdesk;
  const { state } = desk;
  // ticket id -> whether it must be fetched again when the fetch under way answers: a
  // burst of ticket.updated makes one fetch at a time, and the last one is current.
  const fetching = new Map();

  function listFields(campus, before) {
    const { filter } = state;
    return { campus: campus || null, state: filter.state, owner: desk.ownerId(), q: filter.q || null, before };
  }

  // The filter's first page, or (older) the next one. With every campus shown, the
  // librarian's own campus's newest page comes beside it, so that its new tickets are
  // first even when other campuses have many newer ones.
  async function loadTickets({ older = false } = {}) {
    if (older && (state.loading || !state.more)) return null;
    const generation = desk.startLoading();
    const before = older ? (state.cursor?.id ?? null) : null;
    const { campus, state: wanted } = state.filter;
    const ownFirst = !older && !campus && store.state.me.campus && (wanted === "new" || wanted === "all");
    try {
      const [page, own] = await Promise.all([
        socket.request({ type: "ticket.list", ...listFields(campus, before) }),
        ownFirst ? socket.request({ type: "ticket.list", ...listFields(store.state.me.campus, null) }) : null,
      ]);
      return desk.pageLoaded(generation, { tickets: page.tickets, more: page.more, extra: own ? own.tickets : [], older });
    } catch (error) {
      const message =
        error.code === "disconnected"
          ? "Not connected. The tickets load again when the console reconnects."
          : error.message || "Could not load the tickets.";
      desk.pageFailed(generation, message);
      return null;
    }
  }

  async function fetchTicket(id) {
    if (fetching.has(id)) {
      fetching.set(id, true);
      return;
    }
    try {
      do {
        fetching.set(id, false);
        const ack = await socket.request({ type: "ticket.fetch", ticket_id: id });
        desk.ticketLoaded(ack.ticket);
      } while (fetching.get(id));
    } catch (error) {
      if (error.code !== "disconnected") desk.ticketFailed(id, error.message || "Could not open the ticket.");
    } finally {
      fetching.delete(id);
    }
  }

  // One ticket action: `send` makes the request; its answer is the ticket with its thread.
  // Resolves to the ticket, or null when it failed (the error is set for `action`).
  async function act(action, send, failed = "That did not go through.") {
    const id = state.open?.id;
    desk.setError(action, "");
    desk.setBusy(action, true);
    try {
      const ack = await send();
      desk.ticketLoaded(ack.ticket);
      return ack.ticket;
    } catch (error) {
      if (error.code === "already_claimed" && id != null) desk.claimedBy(id, error.by, error.by_id);
      const message =
        error.code === "disconnected" ? "Not connected: nothing was changed. Try again when the console reconnects." : error.message || failed;
      desk.setError(action, message);
      return null;
    } finally {
      desk.setBusy(action, false);
    }
  }

  const claim = (id) => act("claim", () => socket.request({ type: "ticket.claim", ticket_id: id }), "Could not claim the ticket.");

  const assign = (id, librarianId) =>
    act("assign", () => socket.request({ type: "ticket.assign", ticket_id: id, to_librarian: librarianId }), "Could not assign the ticket.");

  const move = (id, campus) => act("move", () => socket.request({ type: "ticket.move", ticket_id: id, campus }), "Could not move the ticket.");

  const setState = (id, wanted) =>
    act("status", () => socket.request({ type: "ticket.status", ticket_id: id, state: wanted }), "Could not change the ticket's state.");

  const note = (id, body) => act("note", () => socket.request({ type: "ticket.note", ticket_id: id, body }), "Could not add the note.");

  // A reply keeps its client id until the server has answered for it: sent again after a
  // lost connection, it is stored once.
  async function reply(id, body) {
    const open = state.open;
    if (!open || open.id !== id) return null;
    const clientId = open.replyClientId || newClientId();
    open.replyClientId = clientId;
    let lost = false;
    const ticket = await act("reply", async () => {
      try {
        return await socket.request({ type: "ticket.reply", ticket_id: id, client_id: clientId, body });
      } catch (error) {
        lost = error.code === "disconnected";
        throw error;
      }
    });
    if (!lost && state.open && state.open.id === id) state.open.replyClientId = "";
    return ticket;
  }

  store.subscribe("needs", (need) => {
    if (need.what === "tickets") loadTickets();
    else if (need.what === "ticket") fetchTicket(need.id);
  });

  return { loadTickets, fetchTicket, claim, assign, move, setState, note, reply };
}
