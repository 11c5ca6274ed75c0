// What the librarian does that needs the server. Each action sends its frame on the socket
// and applies the answer to the store; the views call them and draw what the store says.
// Nothing here touches the page.

import { newClientId } from "../socket.js";
import { CLOSING_LINE, closedAlready, plural } from "./words.js";

// The server takes at most this many chats in one chat.dismiss.
const DISMISS_BATCH = 200;
// "typing" goes at most this often while the librarian types, and "stopped" after a pause.
const TYPING_REPEAT_MS = 3000;
const TYPING_PAUSE_MS = 4000;

// The older pages of each list: the frame that asks for one, and the key of its answer.
const PAGES = {
  queue: {
    noun: "chat",
    key: "waiting",
    ask: (socket, campus, before) => socket.request({ type: "queue.list", campus, before }),
  },
  tickets: {
    noun: "ticket",
    key: "tickets",
    ask: (socket, campus, before) => socket.request({ type: "ticket.list", state: "new", campus, before }),
  },
};

export function createActions(store, socket) {
  const { state } = store;
  // chat id -> {at, timer}: when "typing" last went out. Only the socket's pace, not
  // something the console shows, so it stays here.
  const typingSent = new Map();

  async function claim(chatId) {
    const activeBefore = [...state.chats.values()].filter((chat) => !chat.ended).length;
    try {
      const ack = await socket.request({ type: "chat.claim", chat_id: chatId });
      store.markClaimed(chatId, state.me.name, state.me.id, ack.chat);
      store.openChat(ack.chat, { focus: true, prefill: true });
      if (activeBefore > 0) {
        store.remind(`You already have ${activeBefore} active chat${activeBefore > 1 ? "s" : ""}.`);
      }
      return true;
    } catch (error) {
      let settled = true;
      if (error.code === "already_claimed") store.markClaimed(chatId, error.by, error.by_id);
      else if (error.code === "chat_ended") store.dropFromQueue(chatId);
      else settled = false;
      store.say(error.message || "Could not claim the chat.");
      return settled;
    }
  }

  // My status: "online" or "away" (the toggle, the away timer, "I'm back").
  async function setPresence(status) {
    try {
      const ack = await socket.request({ type: "presence.set", status });
      store.setPresence([ack.presence]);
    } catch (error) {
      store.say(error.message || "Could not change your status.");
      throw error;
    }
  }

  function fetchChat(chatId) {
    socket
      .request({ type: "chat.fetch", chat_id: chatId })
      .then((ack) => store.openChat(ack.chat))
      .catch(() => {});
  }

  // The next older page of the list ("queue" or "tickets") for the campus filter's view;
  // null when none came.
  async function loadOlder(name) {
    const list = state[name];
    if (list.loading) return null;
    const { noun, key, ask } = PAGES[name];
    const view = state.settings.filter;
    const cursor = list.cursor(view);
    store.setLoading(name, true);
    try {
      const ack = await ask(socket, view || null, cursor ? cursor.id : null);
      const added = store.addPage(name, view, ack[key], ack.more);
      store.say(added.length ? `Showing ${plural(added.length, `older ${noun}`)}.` : `No older ${noun}s.`);
      return { view, added };
    } catch (error) {
      if (error.code !== "disconnected") store.say(error.message || `Could not load older ${noun}s.`);
      return null;
    } finally {
      store.setLoading(name, false);
    }
  }

  async function dismissSelected() {
    const ids = [...state.selected];
    store.setDismissing(true);
    let dismissed = 0;
    let skipped = 0;
    try {
      for (let start = 0; start < ids.length; start += DISMISS_BATCH) {
        const ack = await socket.request({
          type: "chat.dismiss",
          chat_ids: ids.slice(start, start + DISMISS_BATCH),
          reason: "Dismissed as spam from the console",
        });
        for (const id of ack.dismissed) store.dropFromQueue(id);
        for (const id of ack.skipped) store.unselect(id);
        dismissed += ack.dismissed.length;
        skipped += ack.skipped.length;
      }
      const note = skipped ? ` ${plural(skipped, "chat")} had already been claimed or ended.` : "";
      store.say(`${plural(dismissed, "chat")} dismissed.${note}`);
    } catch (error) {
      store.say(error.message || "Could not dismiss the chats.");
    } finally {
      store.setDismissing(false);
    }
  }

  async function send(chatId, text) {
    const chat = state.chats.get(chatId);
    if (!text || !chat || chat.ended) return;
    const clientId = newClientId();
    store.enqueue(chatId, clientId, text);
    const mark = typingSent.get(chatId);
    if (mark) mark.at = 0;
    socket.notify({ type: "typing", chat_id: chatId, active: false });
    await deliver(clientId);
  }

  async function deliver(clientId) {
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    try {
      const ack = await socket.request({ type: "message.send", chat_id: entry.chatId, client_id: clientId, body: entry.text });
      store.delivered(clientId, ack.message);
    } catch (error) {
      // Disconnected: it stays in the outbox and goes again, with the same client id (stored
      // once however often it arrives), as soon as the socket is back, however long that takes.
      if (error.code === "disconnected") return;
      if (error.code === "rate_limited") {
        setTimeout(() => deliver(clientId), Math.max(100, (error.retry_after || 1) * 1000));
        return;
      }
      store.undelivered(clientId, error.message || "The message was not sent.");
    }
  }

  function flushOutbox() {
    for (const clientId of [...state.outbox.keys()]) deliver(clientId);
  }

  function typing(chatId) {
    const chat = state.chats.get(chatId);
    if (!chat || chat.ended) return;
    let mark = typingSent.get(chatId);
    if (!mark) typingSent.set(chatId, (mark = { at: 0, timer: null }));
    const now = Date.now();
    if (!mark.at || now - mark.at > TYPING_REPEAT_MS) {
      mark.at = now;
      socket.notify({ type: "typing", chat_id: chatId, active: true });
    }
    clearTimeout(mark.timer);
    mark.timer = setTimeout(() => {
      mark.at = 0;
      socket.notify({ type: "typing", chat_id: chatId, active: false });
    }, TYPING_PAUSE_MS);
  }

  async function endChat(chatId, { sendClosing }) {
    const chat = state.chats.get(chatId);
    // Already said: the server would not send it again either.
    const closing = sendClosing && !(chat && closedAlready(chat.messages, state.me)) ? CLOSING_LINE : "";
    try {
      await socket.request({ type: "chat.end", chat_id: chatId, closing });
      store.markEnded(chatId, "closed");
    } catch (error) {
      if (error.code === "chat_ended") store.markEnded(chatId, chat?.summary.end_reason || "closed");
      else store.say(error.message || "Could not end the chat.");
    }
  }

  // Record the name and email the patron gave during the chat: {ok} or {ok: false,
  // message, field}. Every console, this one included, hears chat.updated.
  async function setPatron(chatId, { name, email }) {
    try {
      const ack = await socket.request({ type: "chat.patron", chat_id: chatId, name, email });
      store.updateChat(ack.chat);
      return { ok: true };
    } catch (error) {
      return { ok: false, message: error.message || "Could not save the details.", field: error.field };
    }
  }

  // Offer a chat of mine to a librarian ({toLibrarian: id}) or put it back in a campus's
  // queue ({toCampus: slug}). Resolves to a sentence for the dialog, or throws the error.
  async function transfer(chatId, { toLibrarian = null, toCampus = null }) {
    const frame = { type: "chat.transfer", chat_id: chatId };
    if (toLibrarian !== null) frame.to_librarian = toLibrarian;
    else frame.to_campus = toCampus;
    const ack = await socket.request(frame);
    if (ack.offered_to) return `Offered to ${ack.offered_to}. Waiting for an answer.`;
    store.transferredAway(chatId, "Back in the queue.");
    return "The chat is back in the queue.";
  }

  // The patron's widget shows an email field (chat.ask_email).
  async function askEmail(chatId) {
    await socket.request({ type: "chat.ask_email", chat_id: chatId });
    return "Asked the patron for their email address.";
  }

  // The chat ends as a ticket for its campus's queue (chat.ticket). Without an email on
  // the chat, `email` is the one the librarian typed; the server says `email_required`
  // when there is none.
  async function ticketChat(chatId, email = "") {
    const frame = { type: "chat.ticket", chat_id: chatId };
    if (email) frame.email = email;
    const ack = await socket.request(frame);
    return ack.ticket_id;
  }

  // Supervisors: the chats a librarian holds, and taking one over.
  async function listChatsOf(librarianId) {
    const ack = await socket.request({ type: "chat.list", librarian_id: librarianId });
    return ack.chats;
  }

  async function takeOver(chatId) {
    const ack = await socket.request({ type: "chat.take_over", chat_id: chatId });
    store.openChat(ack.chat, { focus: true });
  }

  async function acceptOffer(chatId) {
    try {
      const ack = await socket.request({ type: "chat.transfer.accept", chat_id: chatId });
      store.dropOffer(chatId);
      store.openChat(ack.chat, { focus: true });
    } catch (error) {
      if (error.code !== "disconnected") store.dropOffer(chatId);
      store.say(error.message || "Could not take the chat.");
    }
  }

  async function declineOffer(chatId) {
    try {
      await socket.request({ type: "chat.transfer.decline", chat_id: chatId });
    } catch (error) {
      if (error.code === "disconnected") return;
    }
    store.dropOffer(chatId);
  }

  store.subscribe("needs", (need) => {
    if (need.what === "chat") fetchChat(need.id);
  });
  store.subscribe("connection", () => {
    if (state.connection === "open") flushOutbox();
  });

  return { claim, loadOlder, dismissSelected, send, typing, endChat, setPatron, transfer, acceptOffer, declineOffer, askEmail, ticketChat, setPresence, listChatsOf, takeOver };
}
